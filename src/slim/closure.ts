import { posix } from 'node:path';
import type { FsView } from '../images/image-fs.js';

export type { FsView } from '../images/image-fs.js';

/**
 * The dynamic-linking closure of a set of binaries, computed the way the loader would find the
 * libraries (DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH, ld.so.conf, default directories) but over a
 * filesystem view rather than by running `ldd`. Used for the image's keep-set and for the tracer
 * bundle built from the host's strace.
 */

export interface ClosureOptions {
  /** LD_LIBRARY_PATH entries from the runtime environment. Default none. */
  ldLibraryPath?: string[];
  /** Directories from /etc/ld.so.conf(.d) or /etc/ld-musl-*.path. Default none. */
  configuredDirs?: string[];
}

/** Directories both glibc and musl search last (multiarch first, as Debian's ld.so.cache does). */
export const DEFAULT_LIBRARY_DIRS = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib64',
  '/usr/lib64',
  '/lib',
  '/usr/lib',
  '/usr/local/lib',
];

export interface ClosureResult {
  /** Every path the loader needs, as requested (possibly via symlinks), with why (`ELF interpreter of X`, `library needed by X`). */
  paths: Map<string, string>;
  /** `binary: soname` for each library the loader would not find (reported, not fatal). */
  unresolved: string[];
}

/** Expand `$ORIGIN` / `${ORIGIN}` against the directory of the object that carries the path. */
function expandOrigin(dir: string, objectPath: string): string {
  return dir.replace(/\$\{ORIGIN\}|\$ORIGIN/g, posix.dirname(objectPath));
}

/**
 * Interpreter and DT_NEEDED closure of `roots`. Only candidates with the same ELF class and
 * machine as the requesting object are accepted, as the loader does.
 */
export function elfClosure(roots: Iterable<string>, fs: FsView, options: ClosureOptions = {}): ClosureResult {
  const paths = new Map<string, string>();
  const unresolved: string[] = [];
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const path = queue.shift()!;
    const real = fs.realPath(path);
    if (!real || seen.has(real)) continue;
    seen.add(real);
    const info = fs.elf(real);
    if (!info) continue;
    if (info.interpreter) {
      if (!paths.has(info.interpreter)) paths.set(info.interpreter, `ELF interpreter of ${path}`);
      queue.push(info.interpreter);
    }
    const dirs = [
      ...(info.runpath.length === 0 ? info.rpath : []),
      ...(options.ldLibraryPath ?? []),
      ...info.runpath,
      ...(options.configuredDirs ?? []),
      ...DEFAULT_LIBRARY_DIRS,
    ].map((d) => expandOrigin(d, real));
    for (const soname of info.needed) {
      const found = soname.includes('/')
        ? fs.realPath(soname) && soname
        : dirs
            .map((d) => posix.join(d, soname))
            .find((candidate) => {
              const r = fs.realPath(candidate);
              const lib = r && fs.elf(r);
              return lib && lib.bits === info.bits && lib.machine === info.machine;
            });
      if (found) {
        if (!paths.has(found)) paths.set(found, `library needed by ${path}`);
        queue.push(found);
      } else unresolved.push(`${path}: ${soname}`);
    }
  }
  return { paths, unresolved };
}

/** Directories in ld.so.conf or ld-musl-*.path text (`include` lines are resolved by the caller). */
export function parseLdSoConf(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .flatMap((l) => l.split(':'))
    .filter((l) => l.startsWith('/'));
}
