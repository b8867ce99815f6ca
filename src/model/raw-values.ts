import { takesFileText, type Variables } from './interpolate.js';

/** `$` other than the `$$` escape starts an interpolation. */
const INTERPOLATED = /(^|[^$])(\$\$)*\$(?!\$)/;

/**
 * Whether an environment variable's value is written literally in a compose file (a credential
 * there is a finding) rather than interpolated from `.env` or the shell (`${DB_PASSWORD}`), taken
 * from the shell (a bare `DB_PASSWORD`), or read from an env_file (configuration kept outside
 * the file), unless it takes a default or alternative written in the file. `raw` is the file as written, before interpolation; `path` is where the loader's
 * origins say the variable was written: a map entry, or a `KEY=value` list item.
 */
export function isLiteralValue(
  raw: unknown,
  path: readonly (string | number)[],
  variable: string,
  vars: Variables = {},
): boolean {
  let cur = raw;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return false;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  if (cur === null || cur === undefined || typeof cur === 'object') return false;
  let value = String(cur);
  if (typeof path[path.length - 1] === 'number') {
    // List form: `KEY=value`; a bare `KEY` takes its value from the shell.
    if (!value.startsWith(`${variable}=`)) return false;
    value = value.slice(variable.length + 1);
  }
  // A default or alternative written in the file (`${API_TOKEN:-sk_live_x}`) is the file's text too.
  return !INTERPOLATED.test(value) || takesFileText(value, vars);
}
