import pc from 'picocolors';

/**
 * Output for people and machines: aligned tables, colour only when stdout is a TTY
 * (picocolors honours NO_COLOR / FORCE_COLOR), JSON for `--json`.
 */
export const colors = pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
export const errColors = pc.createColors(Boolean(process.stderr.isTTY) && !process.env.NO_COLOR);

const ANSI = new RegExp(String.raw`\u001b\[[0-9;]*m`, 'g');
const visibleLength = (s: string) => s.replace(ANSI, '').length;

/** Render rows as an aligned table with a header; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visibleLength(c))))
      .join('  ')
      .trimEnd();
  return [line(header.map((h) => colors.bold(h))), ...rows.map(line)].join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Human-readable byte size: 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
