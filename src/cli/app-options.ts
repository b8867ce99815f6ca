import { Option, type Command } from 'commander';
import { loadApp } from '../model/load.js';
import { formatDiagnostic } from '../model/errors.js';
import type { AppModel } from '../model/types.js';
import { errColors } from '../support/output.js';

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

/** Load the app model the way every command does, printing its warnings to stderr. */
export function loadAppForCommand(cmd: Command, extra: { environment?: string } = {}): AppModel {
  const o = globalOptions(cmd);
  const app = loadApp(o.file ?? [], {
    profiles: o.profile,
    envFile: o.envFile,
    environment: extra.environment,
  });
  if (!o.quiet) {
    for (const w of app.warnings) process.stderr.write(`${errColors.yellow(formatDiagnostic(w))}\n`);
  }
  return app;
}

/** `--env NAME` of the cloud commands (synth, deploy, diff, destroy). */
export const envOption = (): Option =>
  new Option('--env <name>', 'environment: selects the stack names and the profile (prod* → prod rules)');
