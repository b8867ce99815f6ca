import { Option, type Command } from 'commander';

// Cheap on purpose: command definitions import this. Loading the app model is in load-app.ts,
// which only actions (src/cli/actions) import.

/** Commander argument parser for repeatable options (`-f a -f b` → `['a', 'b']`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Options every app command shares (declared on the root program, usable after the subcommand). */
export interface GlobalOptions {
  file?: string[];
  profile?: string[];
  envFile?: string;
  debug?: boolean;
  quiet?: boolean;
}

export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** `--env NAME` of the cloud commands (synth, deploy, diff, destroy). */
export const envOption = (): Option =>
  new Option('--env <name>', 'environment: selects the stack names and the profile (prod* → prod rules)');

/** The options of a command that rolls templates out (deploy, rollback): how, and how long to wait. */
export function rolloutOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--method <method>', 'how CloudFormation applies the templates')
        .choices(['change-set', 'direct'])
        .default('change-set'),
    )
    .option('--no-wait', 'return once CloudFormation is done, without waiting for the services')
    .option('--timeout <seconds>', 'how long to wait for the services to become steady', '900')
    .option('--json', 'print the result as JSON');
}
