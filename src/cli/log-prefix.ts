import type { AppModel } from '../model/types.js';
import type { LogLine } from '../local/logs.js';
import { colors } from '../support/output.js';

const PALETTE = [colors.cyan, colors.magenta, colors.yellow, colors.green, colors.blue, colors.red];

/**
 * A printer that prefixes each line with its aligned, per-service coloured source (colour only on a
 * TTY). `extra`: how much longer than a service name its sources are (`web-1`: 3 or less; a
 * cloud task, `web-3f2a1b9c` and a helper container: 12).
 */
export function printLogLine(
  app: AppModel,
  extra = 3,
): (line: Pick<LogLine, 'source' | 'service' | 'text'>) => void {
  const width = Math.max(8, ...app.services.map((s) => s.name.length + extra));
  const colourOf = new Map(app.services.map((s, i) => [s.name, PALETTE[i % PALETTE.length]!]));
  return (line) => {
    const paint = colourOf.get(line.service) ?? ((s: string) => s);
    process.stdout.write(`${paint(`${line.source.padEnd(width)} |`)} ${line.text}\n`);
  };
}
