import type { Command } from 'commander';
import { loadApp } from '../model/load.js';
import { formatDiagnostic } from '../model/errors.js';
import type { AppModel } from '../model/types.js';
import { errColors } from '../support/output.js';
import { globalOptions } from './app-options.js';

/**
 * Load the app model the way every command does, printing its warnings to stderr. For actions
 * only (src/cli/actions): it brings in the whole model loader, which `--help` must not pay for.
 */
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
