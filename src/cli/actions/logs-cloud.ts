import type { Command } from 'commander';
import { loadAppForCommand } from '../load-app.js';
import { ExitCode, ShipshapeError } from '../../model/errors.js';
import { onCleanup } from '../../support/cleanup.js';
import { colors } from '../../support/output.js';
import { cloudLogs, parseSince, type CloudLogLine } from '../../cloud/logs.js';
import { printLogLine } from '../log-prefix.js';

/** `shipshape logs --env NAME`: the deployed environment's CloudWatch Logs (src/cloud/logs.ts). */
export default async function logsCloud(
  this: Command,
  services: string[],
  opts: { follow?: boolean; tail?: string; json?: boolean; env: string; since?: string },
): Promise<void> {
  const app = loadAppForCommand(this, { environment: opts.env });
  const tail = opts.tail === undefined ? undefined : Number(opts.tail);
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) {
    throw new ShipshapeError(`--tail ${opts.tail}: not a number of lines`, {
      exitCode: ExitCode.usage,
      hint: 'give a whole number, e.g. -n 100',
    });
  }
  const since = parseSince(opts.since ?? '10m', Date.now());
  const abort = new AbortController();
  // Ctrl-C stops the polling; the cleanup handler then exits 130.
  if (opts.follow) onCleanup('stop following logs', () => abort.abort());
  const print = printLogLine(app, 12);
  const onLine = opts.json
    ? (l: CloudLogLine) =>
        process.stdout.write(`${JSON.stringify({ ...l, time: new Date(l.timestamp).toISOString() })}\n`)
    : (l: CloudLogLine) => print(l.kind === 'stopped' ? { ...l, text: colors.red(`■ ${l.text}`) } : l);
  await cloudLogs(app, onLine, { services, since, tail, follow: opts.follow, signal: abort.signal });
}
