import type { Command } from 'commander';
import { loadAppForCommand } from '../load-app.js';
import { engine, requireEngine } from '../../engine/client.js';
import { ExitCode, ShipshapeError } from '../../model/errors.js';
import { onCleanup } from '../../support/cleanup.js';
import { logs as readLogs, type LogLine } from '../../local/ops.js';
import { printLogLine } from '../log-prefix.js';

// The prefix printer lives in ../log-prefix.ts (the cloud logs use it too); up imports it from here.
export { printLogLine } from '../log-prefix.js';

export default async function logs(
  this: Command,
  services: string[],
  opts: { follow?: boolean; tail?: string; json?: boolean; env?: string; since?: string },
): Promise<void> {
  // --env: the deployed environment's CloudWatch Logs, in a module of its own (AWS SDK, no Docker).
  if (opts.env !== undefined)
    return (await import('./logs-cloud.js')).default.call(this, services, { ...opts, env: opts.env });
  if (opts.since !== undefined) {
    throw new ShipshapeError('--since works with --env (CloudWatch Logs)', {
      exitCode: ExitCode.usage,
      hint: 'locally, use --tail N; or add --env NAME to read the deployed environment',
    });
  }
  const app = loadAppForCommand(this);
  const docker = await requireEngine(engine());
  const abort = new AbortController();
  if (opts.follow) onCleanup('stop following logs', () => abort.abort());
  // --json: one compact object per line (JSON Lines), so it can be followed and piped.
  const print = opts.json
    ? (l: LogLine) => process.stdout.write(`${JSON.stringify(l)}\n`)
    : printLogLine(app);
  const tail = opts.tail === undefined ? undefined : Number(opts.tail);
  await readLogs(app, print, {
    services,
    follow: opts.follow,
    ...(tail !== undefined && Number.isInteger(tail) && tail >= 0 ? { tail } : {}),
    signal: abort.signal,
    docker,
  });
}
