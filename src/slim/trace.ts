import { posix } from 'node:path';

/**
 * Parse strace output written with `-f -y -s 4096` (see tracer.ts) into the paths the traced
 * processes touched. Written by hand: no library parses strace's text format, and only the
 * path-carrying arguments matter here.
 */

export interface TraceAccess {
  /** Absolute, normalized path as the process named it (symlinks not resolved). */
  path: string;
  syscall: string;
  pid: number;
  /** True when the call succeeded. */
  ok: boolean;
  /** Position in the trace (line order), to tell what happened before what. */
  seq: number;
  /** True when the call changes the filesystem (creates, writes, removes, renames, chmods). */
  writes: boolean;
}

export interface TraceSummary {
  accesses: TraceAccess[];
  /** Programs executed successfully, in order. `env` is empty when strace abbreviated it. */
  execs: Array<{ pid: number; path: string; argv: string[]; env: string[]; seq: number }>;
  /** Processes created: parent pid, child pid, position. */
  forks: Array<{ parent: number; child: number; seq: number }>;
  /** Paths that were looked up and not found (ENOENT/ENOTDIR), for the failure report. */
  missing: Set<string>;
  /**
   * Directories opened for listing (O_DIRECTORY): a program that finds files by listing them
   * (Python's importer, plugin loaders) never opens a file that is not listed, so a file missing
   * from such a directory leaves no failed open behind.
   */
  listed: Set<string>;
}

/**
 * Path arguments per syscall: `[pathIndex, dirfdIndex?]`. A dirfd annotated by `-y` as
 * `AT_FDCWD</cwd>` or `3</dir>` gives the base for relative paths.
 */
const PATH_ARGS: Record<string, Array<[number, number?]>> = {};
for (const name of [
  'open',
  'creat',
  'stat',
  'lstat',
  'stat64',
  'lstat64',
  'access',
  'readlink',
  'execve',
  'chdir',
  'mkdir',
  'rmdir',
  'unlink',
  'chmod',
  'chown',
  'lchown',
  'truncate',
  'utime',
  'utimes',
  'statfs',
  'getxattr',
  'lgetxattr',
  'listxattr',
  'llistxattr',
  'setxattr',
  'lsetxattr',
  'removexattr',
  'lremovexattr',
  'mknod',
  'chroot',
  'uselib',
  'swapon',
  'swapoff',
  'acct',
])
  PATH_ARGS[name] = [[0]];
for (const name of [
  'openat',
  'openat2',
  'newfstatat',
  'fstatat64',
  'statx',
  'faccessat',
  'faccessat2',
  'readlinkat',
  'mkdirat',
  'unlinkat',
  'fchmodat',
  'fchmodat2',
  'fchownat',
  'futimesat',
  'utimensat',
  'mknodat',
  'execveat',
  'name_to_handle_at',
  'open_tree',
  'fspick',
  'mount_setattr',
  'move_mount',
])
  PATH_ARGS[name] = [[1, 0]];
PATH_ARGS.rename = [[0], [1]];
PATH_ARGS.link = [[0], [1]];
PATH_ARGS.symlink = [[1]];
PATH_ARGS.inotify_add_watch = [[1]];
PATH_ARGS.renameat = [
  [1, 0],
  [3, 2],
];
PATH_ARGS.renameat2 = [
  [1, 0],
  [3, 2],
];
PATH_ARGS.linkat = [
  [1, 0],
  [3, 2],
];
PATH_ARGS.symlinkat = [[2, 1]];

/** Syscalls that change the filesystem whatever their flags. */
const WRITING =
  /^(creat|mkdir|mkdirat|rmdir|unlink|unlinkat|rename|renameat2?|link|linkat|symlink|symlinkat|chmod|fchmodat2?|chown|lchown|fchownat|truncate|mknod|mknodat|utime|utimes|utimensat|futimesat|setxattr|lsetxattr|removexattr|lremovexattr)$/;

const LINE = /^(\d+)\s+(.*)$/;
const CALL = /^([a-z0-9_]+)\((.*)\)\s+=\s+(.*)$/s;

/** What parsing a trace keeps between lines. */
interface TraceState {
  summary: TraceSummary;
  /** Line number of the current call (order of events). */
  seq: number;
  /** A call strace split in two (`<unfinished ...>`), by pid. */
  pending: Map<number, string>;
  cwd: Map<number, string>;
  initialCwd: string;
}

export function parseTrace(text: string, initialCwd = '/'): TraceSummary {
  const st: TraceState = {
    summary: { accesses: [], execs: [], forks: [], missing: new Set(), listed: new Set() },
    seq: 0,
    pending: new Map(),
    cwd: new Map(),
    initialCwd,
  };
  for (const raw of text.split('\n')) {
    const line = joinLine(st, raw);
    if (line) recordCall(st, line.pid, line.body);
  }
  return st.summary;
}

const cwdOf = (st: TraceState, pid: number) => st.cwd.get(pid) ?? st.initialCwd;

/** One whole call of one pid: a split call (`<unfinished ...>` … `resumed>`) joined again. */
function joinLine(st: TraceState, raw: string): { pid: number; body: string } | undefined {
  const m = LINE.exec(raw);
  if (!m) return undefined;
  st.seq++;
  const pid = Number(m[1]);
  const body = m[2]!;
  if (body.endsWith('<unfinished ...>')) {
    st.pending.set(pid, body.slice(0, -'<unfinished ...>'.length).trimEnd());
    return undefined;
  }
  const resumed = /^<\.\.\. ([a-z0-9_]+) resumed>\s?(.*)$/s.exec(body);
  if (!resumed) return { pid, body };
  const head = st.pending.get(pid);
  st.pending.delete(pid);
  if (head === undefined) return undefined;
  const tail = resumed[2]!;
  return { pid, body: head.endsWith('(') || tail.startsWith(')') ? head + tail : `${head}, ${tail}` };
}

function recordCall(st: TraceState, pid: number, body: string): void {
  const call = CALL.exec(body);
  if (!call) return;
  const [, syscall, argText, result] = call as unknown as [string, string, string, string];
  const ok = !result.startsWith('-1') && !result.startsWith('?');
  const args = splitArgs(argText);
  if (/^(clone3?|fork|vfork)$/.test(syscall) && ok) {
    const child = Number.parseInt(result, 10);
    if (child > 0) {
      st.cwd.set(child, cwdOf(st, pid));
      st.summary.forks.push({ parent: pid, child, seq: st.seq });
    }
    return;
  }
  // The cwd as the kernel sees it, whenever `-y` shows it: the most reliable cwd source.
  const fdcwd = /^AT_FDCWD<(.*)>$/s.exec(args[0] ?? '');
  if (fdcwd) st.cwd.set(pid, unescape(fdcwd[1]!));
  recordPaths(st, pid, syscall, args, ok, result);
  if (syscall === 'fchdir' && ok) {
    const fd = /^-?\d+<(.*)>$/s.exec(args[0] ?? '');
    if (fd) st.cwd.set(pid, unescape(fd[1]!));
  }
  // `= 3</real/path>`: the file the kernel actually opened (symlinks resolved).
  const opened = /^\d+<(.*)>$/s.exec(result.split(' ')[0] ?? '');
  if (ok && opened && !opened[1]!.includes(':[')) {
    st.summary.accesses.push({ path: unescape(opened[1]!), syscall, pid, ok, seq: st.seq, writes: false });
  }
}

/** The paths a call names (resolved against its cwd or dirfd), with what it did to them. */
function recordPaths(
  st: TraceState,
  pid: number,
  syscall: string,
  args: string[],
  ok: boolean,
  result: string,
): void {
  const { summary, seq } = st;
  for (const [pathIndex, dirfdIndex] of PATH_ARGS[syscall] ?? []) {
    const literal = args[pathIndex];
    if (!literal || !literal.startsWith('"')) continue;
    const named = unescape(stringLiteral(literal));
    let base = cwdOf(st, pid);
    if (dirfdIndex !== undefined) {
      const fd = /^(?:AT_FDCWD|-?\d+)<(.*)>$/s.exec(args[dirfdIndex] ?? '');
      if (fd) base = unescape(fd[1]!);
    }
    // AT_EMPTY_PATH: the call acts on the dirfd itself, already recorded when it was opened.
    if (named === '') continue;
    const path = posix.resolve(base, named);
    const flags = /^open/.test(syscall) ? (args[pathIndex + 1] ?? '') : '';
    const writes = WRITING.test(syscall) || /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/.test(flags);
    summary.accesses.push({ path, syscall, pid, ok, seq, writes });
    if (!ok && /ENOENT|ENOTDIR/.test(result)) summary.missing.add(path);
    if (ok && /^open/.test(syscall) && /O_DIRECTORY/.test(flags)) summary.listed.add(path);
    if (syscall === 'chdir' && ok) st.cwd.set(pid, path);
    if ((syscall === 'execve' || syscall === 'execveat') && ok) {
      summary.execs.push({
        pid,
        path,
        argv: stringArray(args[pathIndex + 1] ?? ''),
        env: stringArray(args[pathIndex + 2] ?? ''),
        seq,
      });
    }
  }
}

/** Split a top-level argument list at commas outside quotes, brackets and braces. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let angle = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{' || c === '(') depth++;
    else if (c === ']' || c === '}' || c === ')') depth--;
    else if (c === '<') angle++;
    else if (c === '>' && angle > 0) angle--;
    else if (c === ',' && depth === 0 && angle === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last) out.push(last);
  return out;
}

/** The content of a quoted strace string (`"abc"` or truncated `"abc"...`), still escaped. */
function stringLiteral(literal: string): string {
  const end = literal.lastIndexOf('"');
  return literal.slice(1, end > 0 ? end : undefined);
}

/** `["ls", "-l"]` → `['ls', '-l']`. */
function stringArray(text: string): string[] {
  if (!text.startsWith('[')) return [];
  return splitArgs(text.slice(1, -1))
    .filter((s) => s.startsWith('"'))
    .map((s) => unescape(stringLiteral(s)));
}

/** Undo strace's C-style escaping (`\"`, `\\`, `\n`, octal `\303`, hex `\x41`). */
export function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = s[++i];
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, '"': 34, '\\': 92 };
    if (n !== undefined && n in simple) bytes.push(simple[n]!);
    else if (n === 'x') {
      bytes.push(Number.parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (n !== undefined && /[0-7]/.test(n)) {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i))![0];
      bytes.push(Number.parseInt(oct, 8));
      i += oct.length - 1;
    } else if (n !== undefined) bytes.push(...Buffer.from(n, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
