import type { DocPath } from './yaml-source.js';

/**
 * Compose variable interpolation (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+replacement}`, `${VAR+replacement}`, `$$` escape),
 * with nested expressions in defaults.
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

export interface InterpolationResult {
  value: unknown;
  /** Variables referenced without a value or default (compose substitutes an empty string). */
  unset: { variable: string; path: DocPath }[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolateString(
  input: string,
  env: Readonly<Record<string, string | undefined>>,
  path: DocPath,
  unset: { variable: string; path: DocPath }[],
): string {
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
      out += expand(input.slice(i + 2, end), env, path, unset);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(input.slice(i + 1));
    if (m) {
      out += lookup(m[0], env, path, unset);
      i += 1 + m[0].length;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

function findClosingBrace(s: string, from: number): number {
  let depth = 1;
  for (let j = from; j < s.length; j++) {
    if (s[j] === '{') depth++;
    else if (s[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

function lookup(
  name: string,
  env: Readonly<Record<string, string | undefined>>,
  path: DocPath,
  unset: { variable: string; path: DocPath }[],
): string {
  const v = env[name];
  if (v === undefined) {
    unset.push({ variable: name, path });
    return '';
  }
  return v;
}

function expand(
  body: string,
  env: Readonly<Record<string, string | undefined>>,
  path: DocPath,
  unset: { variable: string; path: DocPath }[],
): string {
  const m = NAME.exec(body);
  if (!m) throw new InterpolationError(`invalid interpolation "\${${body}}"`, path, body);
  const name = m[0];
  const rest = body.slice(name.length);
  if (rest === '') return lookup(name, env, path, unset);
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest);
  if (!op) throw new InterpolationError(`invalid interpolation "\${${body}}"`, path, name);
  const arg = () => interpolateString(rest.slice(op[0].length), env, path, unset);
  const value = env[name];
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

/** Interpolate every string value (not keys) of a parsed compose document. */
export function interpolateDocument(
  doc: unknown,
  env: Readonly<Record<string, string | undefined>>,
  basePath: DocPath = [],
): InterpolationResult {
  const unset: { variable: string; path: DocPath }[] = [];
  const visit = (v: unknown, path: DocPath): unknown => {
    if (typeof v === 'string') return interpolateString(v, env, path, unset);
    if (Array.isArray(v)) return v.map((item, i) => visit(item, [...path, i]));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        // Extension fields are interpolated too, as compose does.
        out[k] = visit(item, [...path, k]);
      }
      return out;
    }
    return v;
  };
  return { value: visit(doc, basePath), unset };
}
