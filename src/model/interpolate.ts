import type { DocPath } from './yaml-source.js';

/**
 * Compose variable interpolation (Compose Specification, 12-interpolation.md): `$VAR`, `${VAR}`,
 * `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+replacement}`,
 * `${VAR+replacement}`, nested expressions in the argument, and `$$` for a literal `$`. A `$`
 * that starts no valid expression (`$1`, `$ `) is kept as it is.
 *
 * Written by hand: the JS "dotenv-expand"-style libraries implement shell or dotenv semantics,
 * which differ from the Compose Specification in `?`/`+` forms and in `$$` escaping.
 */
export class InterpolationError extends Error {
  constructor(
    message: string,
    readonly path: DocPath,
    readonly variable: string,
  ) {
    super(message);
  }
}

/** Where variables come from: a map, or a function (undefined = not set). */
export type Variables = Readonly<Record<string, string | undefined>> | ((name: string) => string | undefined);

export interface UnsetVariable {
  variable: string;
  path: DocPath;
}

export interface InterpolationResult {
  value: unknown;
  /** Variables referenced without a value or default (compose substitutes an empty string). */
  unset: UnsetVariable[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

const lookupIn = (vars: Variables) =>
  typeof vars === 'function'
    ? vars
    : (name: string) => (Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined);

export function interpolateString(
  input: string,
  vars: Variables,
  path: DocPath,
  unset: UnsetVariable[],
  /** Told the text of each default or alternative taken. */
  onFileText?: (arg: string) => void,
): string {
  const get = lookupIn(vars);
  let out = '';
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (ch !== '$') {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const end = findClosingBrace(input, i + 2);
      if (end < 0) throw new InterpolationError(`unclosed "\${" in "${input}"`, path, '');
      out += expand(input.slice(i + 2, end), get, path, unset, onFileText);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(input.slice(i + 1));
    if (m) {
      out += lookup(m[0], get, path, unset);
      i += 1 + m[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

/**
 * Whether interpolating `input` takes text written in the file from a default or alternative
 * (`${API_TOKEN:-sk_live_x}` with API_TOKEN unset, `${A:+text}` with A set): such a value is
 * supplied by the compose file, whatever its syntax.
 */
export function takesFileText(input: string, vars: Variables): boolean {
  let taken = false;
  const hook = (arg: string) => {
    // The argument's own characters, its nested expressions (and `$$`) aside.
    if (arg.replace(/\$\$|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, '') !== '') taken = true;
  };
  try {
    interpolateString(input, vars, [], [], hook);
  } catch {
    return false;
  }
  return taken;
}

function findClosingBrace(s: string, from: number): number {
  let depth = 1;
  for (let j = from; j < s.length; j++) {
    if (s[j] === '{') depth++;
    else if (s[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

type Get = (name: string) => string | undefined;

function lookup(name: string, get: Get, path: DocPath, unset: UnsetVariable[]): string {
  const v = get(name);
  if (v === undefined) {
    unset.push({ variable: name, path });
    return '';
  }
  return v;
}

function expand(
  body: string,
  get: Get,
  path: DocPath,
  unset: UnsetVariable[],
  onFileText?: (arg: string) => void,
): string {
  const m = NAME.exec(body);
  if (!m) throw new InterpolationError(`invalid interpolation "\${${body}}"`, path, body);
  const name = m[0];
  const rest = body.slice(name.length);
  if (rest === '') return lookup(name, get, path, unset);
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest);
  if (!op) throw new InterpolationError(`invalid interpolation "\${${body}}"`, path, name);
  const arg = () => {
    const text = rest.slice(op[0].length);
    if (!op[0].includes('?')) onFileText?.(text);
    return interpolateString(text, get, path, unset, onFileText);
  };
  const value = get(name);
  const empty = value === undefined || value === '';
  switch (op[0]) {
    case ':-':
      return empty ? arg() : value;
    case '-':
      return value === undefined ? arg() : value;
    case ':?':
    case '?':
      if (op[0] === ':?' ? empty : value === undefined) {
        const msg = arg();
        throw new InterpolationError(
          `required variable ${name} is missing a value${msg ? `: ${msg}` : ''}`,
          path,
          name,
        );
      }
      return value as string;
    case ':+':
      return empty ? '' : arg();
    default: // '+'
      return value === undefined ? '' : arg();
  }
}

type Cast = 'int' | 'float' | 'bool';

/**
 * Values compose converts back to numbers or booleans after interpolation (compose-go's
 * `interpolateTypeCastMapping`), so that `replicas: ${N}` or `read_only: ${RO}` are typed.
 * `*` matches any key or list index.
 */
const CASTS: [string[], Cast][] = [
  [['services', '*', 'cpu_count'], 'int'],
  [['services', '*', 'cpu_percent'], 'float'],
  [['services', '*', 'cpu_period'], 'int'],
  [['services', '*', 'cpu_quota'], 'int'],
  [['services', '*', 'cpu_rt_period'], 'int'],
  [['services', '*', 'cpu_rt_runtime'], 'int'],
  [['services', '*', 'cpus'], 'float'],
  [['services', '*', 'cpu_shares'], 'int'],
  [['services', '*', 'init'], 'bool'],
  [['services', '*', 'depends_on', '*', 'required'], 'bool'],
  [['services', '*', 'depends_on', '*', 'restart'], 'bool'],
  [['services', '*', 'deploy', 'replicas'], 'int'],
  [['services', '*', 'healthcheck', 'retries'], 'int'],
  [['services', '*', 'healthcheck', 'disable'], 'bool'],
  [['services', '*', 'oom_kill_disable'], 'bool'],
  [['services', '*', 'oom_score_adj'], 'int'],
  [['services', '*', 'pids_limit'], 'int'],
  [['services', '*', 'ports', '*', 'target'], 'int'],
  [['services', '*', 'privileged'], 'bool'],
  [['services', '*', 'read_only'], 'bool'],
  [['services', '*', 'scale'], 'int'],
  [['services', '*', 'stdin_open'], 'bool'],
  [['services', '*', 'tty'], 'bool'],
  [['services', '*', 'volumes', '*', 'read_only'], 'bool'],
  [['services', '*', 'volumes', '*', 'volume', 'nocopy'], 'bool'],
  [['networks', '*', 'external'], 'bool'],
  [['networks', '*', 'internal'], 'bool'],
  [['networks', '*', 'attachable'], 'bool'],
  [['volumes', '*', 'external'], 'bool'],
  [['secrets', '*', 'external'], 'bool'],
  [['configs', '*', 'external'], 'bool'],
];

function castFor(path: DocPath): Cast | undefined {
  return CASTS.find(
    ([pattern]) =>
      pattern.length === path.length && pattern.every((seg, i) => seg === '*' || seg === String(path[i])),
  )?.[1];
}

function cast(kind: Cast, value: string, path: DocPath): unknown {
  if (kind === 'bool') {
    const v = value.toLowerCase();
    // YAML 1.1 spellings, accepted by compose-go with a warning; we accept them the same way.
    if (['true', 'y', 'yes', 'on'].includes(v)) return true;
    if (['false', 'n', 'no', 'off'].includes(v)) return false;
    throw new InterpolationError(`expected a boolean after interpolation, got "${value}"`, path, '');
  }
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
    throw new InterpolationError(
      `expected ${kind === 'int' ? 'a whole number' : 'a number'} after interpolation, got "${value}"`,
      path,
      '',
    );
  }
  return n;
}

/** Interpolate every string value (not keys) of a parsed compose document. */
export function interpolateDocument(
  doc: unknown,
  vars: Variables,
  basePath: DocPath = [],
): InterpolationResult {
  const unset: UnsetVariable[] = [];
  const visit = (v: unknown, path: DocPath): unknown => {
    if (typeof v === 'string') {
      const out = interpolateString(v, vars, path, unset);
      const kind = castFor(path);
      return kind ? cast(kind, out, path) : out;
    }
    if (Array.isArray(v)) return v.map((item, i) => visit(item, [...path, i]));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      // Extension fields are interpolated too, as compose does.
      for (const [k, item] of Object.entries(v)) out[k] = visit(item, [...path, k]);
      return out;
    }
    return v;
  };
  return { value: visit(doc, basePath), unset };
}
