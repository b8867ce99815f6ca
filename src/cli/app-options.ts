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
