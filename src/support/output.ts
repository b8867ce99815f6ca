import pc from 'picocolors';

/**
 * Output for people and machines: aligned tables, colour only when stdout is a TTY
 * (picocolors honours NO_COLOR / FORCE_COLOR), JSON for `--json`.
 */
export const colors = pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);
export const errColors = pc.createColors(Boolean(process.stderr.isTTY) && !process.env.NO_COLOR);

const ANSI = new RegExp(String.raw`\u001b\[[0-9;]*m`, 'g');
/**
 * The colour codes our own printers put into table cells (picocolors: bold, dim, foreground
 * colours and their resets), put back after `safeText` escaped every cell. Nothing that hides
 * text (concealed, backgrounds, black) comes back.
 */
const ESCAPED_ANSI = new RegExp(String.raw`\\x1b\[(1|2|22|3[1-7]|39|9[0-7])m`, 'g');
const visibleLength = (s: string) => s.replace(ANSI, '').length;

/** Render rows as an aligned table with a header; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  rows = rows.map((r) => r.map((c) => safeText(c).replace(ESCAPED_ANSI, '\u001b[$1m')));
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
  process.stdout.write(`${safeJson(JSON.stringify(value, null, 2))}\n`);
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

/**
 * Characters that change what a terminal shows instead of showing themselves: C0 controls (ESC
 * starts cursor moves and erasures, CR rewrites the line, a newline can forge a "check passed"
 * line), DEL, C1 controls (0x9b is a one-byte CSI), and the invisible or direction-changing
 * format characters (zero-width, bidi overrides and isolates, the BOM, Hangul fillers, and the
 * Tags block U+E0000–E007F that hides ASCII text from the eye).
 */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb\u{e0000}-\u{e007f}]/gu;

const escapeChar = (c: string): string => {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  const code = c.codePointAt(0)!;
  if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
  return code < 0x10000 ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
};

/**
 * A value from the user's files (or from an engine, a registry, a template) as one line a
 * terminal shows as written: every control and invisible character escaped (`\x1b`, `\n`,
 * `\u202e`). Every printer passes such values through here before colouring its own parts.
 */
export function safeText(value: string): string {
  return value.replace(UNSAFE, escapeChar);
}

/** Like `safeText`, keeping line breaks: for text shipshape itself lays out on several lines. */
export function safeLines(value: string): string {
  return value
    .split('\n')
    .map((line) => safeText(line))
    .join('\n');
}

/** Every string in a value made `safeText` (for YAML and other human-readable dumps). */
export function safeData<T>(value: T): T {
  if (typeof value === 'string') return safeText(value) as T;
  if (Array.isArray(value)) return value.map((v) => safeData(v)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [safeText(k), safeData(v)])) as T;
  return value;
}

/**
 * Serialized JSON made safe for a terminal without changing its data: the characters
 * `JSON.stringify` leaves raw (DEL, C1 controls, invisible and bidi format characters) written
 * as `\uXXXX` escapes, which every JSON reader reads back as the same string.
 */
export function safeJson(json: string): string {
  // JSON.stringify already escapes C0 inside strings; raw newlines and blanks are its layout.
  // An astral character (a Tag) becomes its two UTF-16 escapes, as JSON writes them.
  const u = (unit: number) => `\\u${unit.toString(16).padStart(4, '0')}`;
  return json.replace(UNSAFE, (c) =>
    c === '\n' || c === '\r' || c === '\t'
      ? c
      : [...Array(c.length).keys()].map((i) => u(c.charCodeAt(i))).join(''),
  );
}
