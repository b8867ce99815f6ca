import { InterpolationError, interpolateString, type UnsetVariable } from './interpolate.js';

/**
 * Env files (`.env`, `--env-file`, `env_file:`) as Docker Compose reads them: the Compose
 * Specification's "Env_file format" (05-services.md#env_file-format), with compose-go's dotenv
 * parser as the tie-breaker, and the `raw` format of the docker compose CLI.
 *
 * Written by hand: the npm `dotenv` package cuts `VAR=val# x` at the `#`, does not interpolate
 * `${VAR}`, and handles escapes differently; `dotenv-expand` follows shell rules, not compose's.
 *
 * Default format:
 * - blank lines and lines starting with `#` are ignored; `export ` before a name is allowed;
 * - `VAR=VAL` and `VAR: VAL`; a name alone takes its value from the lookup, else stays unset;
 * - unquoted values end at the line, an inline comment needs a space before `#`, trailing
 *   blanks are trimmed, `${VAR}` is interpolated, backslashes are literal;
 * - `"..."` may span lines, handles `\n \r \t \a \b \f \v \\ \" \$` and `\0NNN` octal, then is
 *   interpolated; `'...'` is literal except for `\'`;
 * - interpolation sees the lookup first, then the variables defined earlier in the file(s).
 *
 * `raw` format (docker run --env-file): `VAR=VAL` taken as written, `VAR` from the lookup.
 */
export class EnvFileError extends Error {
  constructor(
    message: string,
    /** 1-based line of the fault. */
    readonly line: number,
    readonly variable = '',
  ) {
    super(message);
  }
}

export type Lookup = (name: string) => string | undefined;

export interface EnvFileResult {
  /** Variables referenced in values but set nowhere (they became empty strings), with their line. */
  unset: { variable: string; line: number }[];
}

const SPACE = /[\t\v\f\r \u0085\u00a0]/;
const NAME_CHAR = /[\p{L}\p{N}_.\-[\]]/u;

/**
 * Parse `text` in the default format, adding its variables to `vars` (later files override
 * earlier ones, as compose does when it reads several env files into one map).
 */
export function parseEnvFile(text: string, lookup: Lookup, vars: Record<string, string>): EnvFileResult {
  const src = text.replace(/^\uFEFF/, '');
  const unset: EnvFileResult['unset'] = [];
  let pos = 0;
  let line = 1;
  const resolve = (name: string) => lookup(name) ?? vars[name];
  const interpolate = (value: string, at: number) => {
    const missing: UnsetVariable[] = [];
    try {
      const out = interpolateString(value, resolve, [], missing);
      for (const m of missing) unset.push({ variable: m.variable, line: at });
      return out;
    } catch (e) {
      if (e instanceof InterpolationError) throw new EnvFileError(e.message, at, e.variable);
      throw e;
    }
  };
  for (;;) {
    // Skip blanks, newlines and comment lines.
    while (pos < src.length && /\s/.test(src[pos]!)) if (src[pos++] === '\n') line++;
    if (pos >= src.length) break;
    if (src[pos] === '#') {
      const nl = src.indexOf('\n', pos);
      pos = nl < 0 ? src.length : nl;
      continue;
    }
    const startLine = line;
    const exported = /^export[\t ]+/.exec(src.slice(pos, pos + 40));
    if (exported) pos += exported[0].length;
    // The name ends at `=`, `:` or the end of the line.
    let end = pos;
    while (end < src.length && !['=', ':', '\n'].includes(src[end]!)) {
      const c = src[end]!;
      if (!SPACE.test(c) && !NAME_CHAR.test(c)) {
        const text = src.slice(pos).split('\n')[0];
        throw new EnvFileError(`unexpected character "${c}" in variable name "${text}"`, startLine);
      }
      end++;
    }
    const name = src.slice(pos, end).replace(/[\s]+$/, '');
    if (/\s/.test(name)) throw new EnvFileError(`variable name "${name}" contains a space`, startLine);
    if (end >= src.length || src[end] === '\n') {
      // `VAR` alone: inherit from the lookup, or leave unset.
      const inherited = lookup(name);
      if (name !== '' && inherited !== undefined) vars[name] = inherited;
      pos = end;
      continue;
    }
    pos = end + 1;
    while (pos < src.length && SPACE.test(src[pos]!)) pos++;
    const quote = src[pos];
    if (quote === '"' || quote === "'") {
      const { value, next, lines } = readQuoted(src, pos, quote, startLine);
      vars[name] = quote === '"' ? interpolate(expandEscapes(value), startLine) : value;
      line += lines;
      pos = next;
    } else {
      const nl = src.indexOf('\n', pos);
      const raw = src.slice(pos, nl < 0 ? src.length : nl);
      const comment = raw.indexOf(' #');
      vars[name] = interpolate((comment < 0 ? raw : raw.slice(0, comment)).replace(/\s+$/, ''), startLine);
      pos = nl < 0 ? src.length : nl;
    }
  }
  return { unset };
}

/** A quoted value from `src[start]` (the opening quote): escaped quotes unescaped, other `\x` kept. */
function readQuoted(
  src: string,
  start: number,
  quote: string,
  line: number,
): { value: string; next: number; lines: number } {
  let value = '';
  let escaped = false;
  let lines = 0;
  for (let i = start + 1; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\n') lines++;
    if (c !== quote) {
      if (!escaped && c === '\\') {
        escaped = true;
        continue;
      }
      if (escaped) value += '\\';
      escaped = false;
      value += c;
      continue;
    }
    if (escaped) {
      escaped = false;
      value += c;
      continue;
    }
    return { value, next: i + 1, lines };
  }
  const text = src.slice(start).split('\n')[0];
  throw new EnvFileError(`unterminated quoted value ${text}`, line);
}

const ESCAPES: Record<string, string> = {
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '"': '"',
  '\\': '\\',
  // `\$` stays a literal dollar through the interpolation that follows.
  $: '$$',
};

/** Shell escapes of a double-quoted value; unknown escapes such as `\c` are kept as written. */
function expandEscapes(value: string): string {
  return value.replace(/\\(?:([abfnrtv$"\\])|0([0-9]{0,3}))/g, (match, simple?: string, octal?: string) => {
    if (simple !== undefined) return ESCAPES[simple]!;
    // `\0NNN` is an octal byte; compose-go keeps other `\0...` forms without the 0.
    if (octal !== undefined && /^[0-7]{3}$/.test(octal) && parseInt(octal, 8) < 256)
      return String.fromCharCode(parseInt(octal, 8));
    return match === '\\0' ? '\\' : `\\${octal ?? ''}`;
  });
}

/** `format: raw`: values as written, no quotes, escapes or interpolation (docker run --env-file). */
export function parseRawEnvFile(text: string, lookup: Lookup, vars: Record<string, string>): EnvFileResult {
  text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .forEach((rawLine, i) => {
      const l = rawLine.replace(/\r$/, '').replace(/^\s+/, '');
      if (l === '' || l.startsWith('#')) return;
      const eq = l.indexOf('=');
      const name = eq < 0 ? l : l.slice(0, eq);
      if (name === '') throw new EnvFileError('no variable name before "="', i + 1);
      if (/\s/.test(name)) throw new EnvFileError(`variable name "${name}" contains whitespace`, i + 1);
      if (eq >= 0) vars[name] = l.slice(eq + 1);
      else {
        const inherited = lookup(name);
        if (inherited !== undefined) vars[name] = inherited;
      }
    });
  return { unset: [] };
}
