import type { Command } from 'commander';
import { loadAppForCommand } from '../load-app.js';
import { engine, requireEngine } from '../../engine/client.js';
import type { AppModel } from '../../model/types.js';
import { onCleanup } from '../../support/cleanup.js';
import { colors } from '../../support/output.js';
import { logs as readLogs, type LogLine } from '../../local/ops.js';

const PALETTE = [colors.cyan, colors.magenta, colors.yellow, colors.green, colors.blue, colors.red];

/** A printer that prefixes each line with its aligned, per-service coloured source (colour only on a TTY). */
export function printLogLine(app: AppModel): (line: LogLine) => void {
  const width = Math.max(8, ...app.services.map((s) => s.name.length + 3));
  const colourOf = new Map(app.services.map((s, i) => [s.name, PALETTE[i % PALETTE.length]!]));
  return (line) => {
    const paint = colourOf.get(line.service) ?? ((s: string) => s);
    process.stdout.write(`${paint(`${line.source.padEnd(width)} |`)} ${line.text}\n`);
  };
}

export default async function logs(
  this: Command,
  services: string[],
  opts: { follow?: boolean; tail?: string; json?: boolean },
): Promise<void> {
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
