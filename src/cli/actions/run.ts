import type { Command } from 'commander';
import { globalOptions } from '../app-options.js';
import { loadAppForCommand } from '../load-app.js';
import { ExitCode, ShipshapeError } from '../../model/errors.js';
import { onCleanup } from '../../support/cleanup.js';
import { errColors, printJson } from '../../support/output.js';
import { runExitCode, type OneOffTaskResult } from '../../aws/one-off-task.js';
import { runInService } from '../../cloud/run.js';

function describeEnd(r: OneOffTaskResult): string {
  if (r.outcome === 'started') return `task ${r.taskId} started (not waiting: --detach)`;
  if (r.outcome === 'exited') return `task ${r.taskId}: ${r.container} exited with ${r.exitCode}`;
  if (r.outcome === 'timed-out') return `task ${r.taskId} stopped: --timeout reached`;
  if (r.outcome === 'interrupted') return `task ${r.taskId} stopped: interrupted`;
  const exits = r.containers
    .filter((c) => c.reason || c.exitCode !== undefined)
    .map((c) => `${c.name}: ${c.reason ?? `exit ${c.exitCode}`}`);
  return `task ${r.taskId} stopped before ${r.container} ran: ${r.stopReason ?? r.stopCode ?? 'no reason given'}${exits.length ? ` (${exits.join('; ')})` : ''}`;
}

export default async function runAction(
  this: Command,
  service: string,
  command: string[],
  opts: { env: string; timeout: string; detach?: boolean; json?: boolean },
): Promise<void> {
  const app = loadAppForCommand(this, { environment: opts.env });
  const quiet = globalOptions(this).quiet;
  const timeout = Number(opts.timeout);
  if (!(Number.isFinite(timeout) && timeout > 0)) {
    throw new ShipshapeError(`--timeout ${opts.timeout}: not a number of seconds`, {
      exitCode: ExitCode.usage,
      hint: 'give seconds, e.g. --timeout 1800',
    });
  }
  const progress = (m: string) => {
    if (!quiet) process.stderr.write(`${errColors.dim('›')} ${m}\n`);
  };
  const out = opts.json ? process.stderr : process.stdout;
  const abort = new AbortController();
  let running: Promise<unknown> | undefined;
  // Ctrl-C stops the task (it would run on otherwise), then the cleanup handler exits 130.
  const unregister = onCleanup('stop the one-off task', async () => {
    abort.abort();
    await running?.catch(() => undefined);
  });
  try {
    running = runInService(app, {
      service,
      command: command.length ? command : undefined,
      timeoutMs: timeout * 1000,
      detach: opts.detach,
      signal: abort.signal,
      startedBy: 'shipshape-run',
      onStarted: (t) => progress(`started task ${t.taskId} (${t.taskArn})`),
      onProgress: progress,
      onLog: (l) => out.write(l.container === service ? `${l.text}\n` : `[${l.container}] ${l.text}\n`),
    });
    const result = (await running) as OneOffTaskResult;
    progress(describeEnd(result));
    if (opts.json) printJson({ ...result, shipshapeExitCode: runExitCode(result) });
    process.exitCode = runExitCode(result);
  } finally {
    unregister();
  }
}
