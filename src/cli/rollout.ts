import type { Command } from 'commander';
import { errColors, safeText } from '../support/output.js';
import { askYesNo } from '../support/prompt.js';
import { globalOptions } from './app-options.js';

/** What deploy and rollback's actions read from the rollout options (app-options.ts rolloutOptions). */
export interface RolloutFlags {
  method: 'change-set' | 'direct';
  wait: boolean;
  timeout: string;
}

/** How a rollout runs, from its flags: the method, the wait and its limit, the prompt and the progress lines. */
export function rolloutSettings(
  cmd: Command,
  flags: RolloutFlags,
): {
  method: 'change-set' | 'direct';
  wait: boolean;
  timeoutMs: number;
  confirm: typeof askYesNo;
  onProgress?: (line: string) => void;
} {
  const timeout = Number(flags.timeout);
  const quiet = globalOptions(cmd).quiet;
  return {
    method: flags.method,
    wait: flags.wait,
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : 900_000,
    confirm: askYesNo,
    // Every line escaped: a stack event may carry text from the template or the account.
    onProgress: quiet ? undefined : (m) => process.stderr.write(`${errColors.dim('›')} ${safeText(m)}\n`),
  };
}
