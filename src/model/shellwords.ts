/**
 * Splitting a string `command:` / `entrypoint:` into argv the way Docker Compose does.
 *
 * compose-go splits these strings with mattn/go-shellwords (v1.0.12, without its optional
 * environment and backtick expansion). Written by hand because no npm library has those rules:
 * `shell-quote` expands `$VAR` (so `$$HOME`, already unescaped to `$HOME` by interpolation,
 * became an empty string) and returns operator objects; `shellwords`/`shlex` follow POSIX,
 * where `\x` inside double quotes keeps its backslash and `&&` is an ordinary word. Rules:
 *
 * - words split on space, tab, CR and LF outside quotes; nothing is expanded or globbed;
 * - `'...'` is literal; `"..."` keeps spaces; a backslash outside single quotes takes the next
 *   character literally (also inside double quotes: `"a\"b"` is `a"b`, `"\n"` is `n`);
 * - `$(...)` and backticks are kept as text; a `(` that does not follow `$`, or a `)` that does
 *   not close `$(`, is an error;
 * - an unquoted `;`, `&`, `|`, `<` or `>` ends the command: everything from it on is dropped
 *   (`2>` also drops the `2`). The caller reports that as a warning, since compose does it silently;
 * - an unterminated quote, escape, `$(` or backtick is an error.
 */
export interface SplitCommand {
  argv: string[];
  /** The shell operator where compose stopped reading, and the text it dropped. */
  truncated?: { operator: string; dropped: string };
}

export class ShellwordsError extends Error {}

const SPACE = new Set([' ', '\t', '\r', '\n']);
const OPERATORS = new Set([';', '&', '|', '<', '>']);

export function splitCommand(line: string): SplitCommand {
  const argv: string[] = [];
  let buf = '';
  let word = false; // a word (possibly empty, from quotes) is being read
  let escaped = false;
  let single = false;
  let double = false;
  let backtick = false;
  let dollarParen = false;
  const chars = [...line];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (escaped) {
      buf += c;
      escaped = false;
      word = true;
      continue;
    }
    if (c === '\\') {
      if (single) buf += c;
      else escaped = true;
      continue;
    }
    if (SPACE.has(c)) {
      if (single || double || backtick || dollarParen) buf += c;
      else if (word) {
        argv.push(buf);
        buf = '';
        word = false;
      }
      continue;
    }
    const quoted = single || double;
    if (c === '`' && !quoted && !dollarParen) backtick = !backtick;
    else if (c === ')' && !quoted && !backtick) {
      if (!dollarParen) throw new ShellwordsError('unbalanced ")"');
      dollarParen = false;
    } else if (c === '(' && !quoted && !backtick) {
      if (dollarParen || !buf.endsWith('$')) throw new ShellwordsError('"(" outside of "$(...)"');
      dollarParen = true;
    } else if (c === '"' && !single && !dollarParen) {
      double = !double;
      word = true;
      continue;
    } else if (c === "'" && !double && !dollarParen) {
      single = !single;
      word = true;
      continue;
    } else if (OPERATORS.has(c) && !quoted && !backtick && !dollarParen) {
      // `2>file`: the file-descriptor number belongs to the redirection, not to argv.
      const fdRedirect = c === '>' && /^[0-9]/.test(buf);
      if (word && !fdRedirect) argv.push(buf);
      return { argv, truncated: { operator: c, dropped: chars.slice(i).join('') } };
    }
    buf += c;
    word = true;
  }
  if (escaped || single || double || backtick || dollarParen) {
    throw new ShellwordsError(
      escaped
        ? 'ends with a lone backslash'
        : single || double
          ? 'unterminated quote'
          : 'unterminated "$(" or "`"',
    );
  }
  if (word) argv.push(buf);
  return { argv };
}
