import { posix } from 'node:path';
import picomatch from 'picomatch';
import { elfClosure, parseLdSoConf } from './closure.js';
import type { ImageIndex } from '../images/image-fs.js';
import type { TraceSummary } from './trace.js';

/**
 * The keep-set: which paths of the original image the slim image holds, and why. Pure logic
 * over the image index and the parsed trace, so every rule is unit-tested without an engine.
 */

export interface KeepOptions {
  /** Image Env (`KEY=value`), for LD_LIBRARY_PATH. Default none. */
  env?: string[];
  /** The image's WorkingDir; kept so the runtime can chdir into it. Default none. */
  workingDir?: string;
  /** Declared volume mount points; kept (as directories) so the mounts keep their modes. */
  volumes?: string[];
  /** Globs (absolute paths, `**` allowed) kept in addition to the trace. Default none. */
  include?: string[];
  /** Globs removed from the keep-set even when traced (the user's call). Default none. */
  exclude?: string[];
}

export interface KeepSet {
  /** Kept path → first reason it is kept. Includes parent directories and symlinks. */
  paths: Map<string, string>;
  /** Bytes of the distinct regular files the trace reached plus their ELF closure (the floor). */
  floorBytes: number;
  /** Libraries the loader would not find (`binary: soname`); kept files may then fail to run. */
  unresolved: string[];
  /** Paths the trace or closure wanted that an exclude glob removed. */
  excluded: string[];
}

/** Runtime pseudo-filesystems: never copied into an image (the engine mounts them). */
const RUNTIME_MOUNTS = /^\/(proc|sys|dev)(\/|$)/;
/** Files the engine bind-mounts into every container; the export holds empty placeholders. */
const ENGINE_FILES = new Set(['/.dockerenv', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf']);

/** Match absolute paths; a glob without a leading `/` is taken from the root. */
export function globMatcher(globs: string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  const matchers = globs.map((g) => {
    const abs = g.startsWith('/') ? g : `/${g}`;
    // `dir` and `dir/` also match everything below `dir`, which is what people mean.
    const base = abs.replace(/\/+$/, '');
    return picomatch([base, `${base}/**`], { dot: true });
  });
  return (path) => matchers.some((m) => m(path));
}

export function computeKeepSet(index: ImageIndex, trace: TraceSummary, options: KeepOptions = {}): KeepSet {
  const set = new KeepSetBuilder(index);
  set.keepTraced(trace);
  set.keepRuntimeNeeds(options);
  set.keepIncluded(options.include ?? []);
  const unresolved = set.closeOverDependencies(loaderSearch(index, options.env ?? []));
  const excluded = set.exclude(options.exclude ?? []);
  set.keepParentDirectories();
  return { paths: set.paths, floorBytes: set.floorBytes(), unresolved, excluded };
}

/** Where the image's loader looks for libraries besides the defaults: LD_LIBRARY_PATH, ld.so.conf. */
function loaderSearch(
  index: ImageIndex,
  env: string[],
): { ldLibraryPath?: string[]; configuredDirs: string[] } {
  const ldLibraryPath = env
    .find((e) => e.startsWith('LD_LIBRARY_PATH='))
    ?.slice('LD_LIBRARY_PATH='.length)
    .split(':')
    .filter(Boolean);
  const configuredDirs = [...index.texts.entries()]
    .filter(([p]) => p !== '/etc/passwd' && p !== '/etc/group')
    .flatMap(([, text]) => parseLdSoConf(text));
  return { ldLibraryPath, configuredDirs };
}

/** The keep-set as it grows: each kept path with its first reason, and which came from the trace. */
class KeepSetBuilder {
  readonly paths = new Map<string, string>();
  /** Real paths the traced run reached, directly or through their closure (the floor). */
  private readonly fromTrace = new Set<string>();

  constructor(private readonly index: ImageIndex) {}

  /** Keep `path` (resolved through symlinks, which are kept too); its real path, if it exists. */
  keep(path: string, reason: string): string | undefined {
    const { real, links } = this.index.resolve(path);
    if (real === undefined) return undefined;
    for (const link of links)
      if (!this.paths.has(link)) this.paths.set(link, `symlink on the way to ${path}: ${reason}`);
    if (!this.paths.has(real)) this.paths.set(real, reason);
    return real;
  }

  keepTraced(trace: TraceSummary): void {
    for (const access of trace.accesses) {
      if (RUNTIME_MOUNTS.test(access.path) || ENGINE_FILES.has(access.path)) continue;
      const real = this.keep(access.path, `traced (${access.syscall})`);
      if (real) this.fromTrace.add(real);
    }
  }

  /** What the runtime needs whether traced or not: working directory, mount points, users, /tmp. */
  keepRuntimeNeeds(options: KeepOptions): void {
    if (options.workingDir) this.keep(options.workingDir, 'working directory');
    for (const v of options.volumes ?? []) this.keep(v, 'volume mount point');
    for (const p of ['/etc/passwd', '/etc/group']) this.keep(p, 'runtime user database');
    if (this.index.get('/tmp')?.type === 'directory') this.keep('/tmp', 'temporary directory (kept empty)');
  }

  keepIncluded(include: string[]): void {
    if (include.length === 0) return;
    const included = globMatcher(include);
    for (const path of this.index.entries.keys()) {
      if (included(path)) this.keep(path, 'included (--include / x-shipshape.slim.include)');
    }
  }

  /**
   * Closure to a fixpoint: ELF interpreters and libraries, script interpreters, hard-link
   * targets. Returns the libraries the loader would not find.
   */
  closeOverDependencies(search: { ldLibraryPath?: string[]; configuredDirs: string[] }): string[] {
    const unresolved = new Set<string>();
    const processed = new Set<string>();
    for (let changed = true; changed;) {
      changed = false;
      for (const path of [...this.paths.keys()]) {
        if (processed.has(path)) continue;
        processed.add(path);
        for (const [dep, reason] of this.dependenciesOf(path, search, unresolved)) {
          const before = this.paths.size;
          const real = this.keep(dep, reason);
          if (real && this.fromTrace.has(path)) this.fromTrace.add(real);
          if (this.paths.size !== before) changed = true;
        }
      }
    }
    return [...unresolved].sort();
  }

  /** What one kept path needs to run: its hard-link target, script interpreter, ELF closure. */
  private dependenciesOf(
    path: string,
    search: { ldLibraryPath?: string[]; configuredDirs: string[] },
    unresolved: Set<string>,
  ): [string, string][] {
    const entry = this.index.get(path);
    if (!entry) return [];
    const deps: [string, string][] = [];
    if (entry.type === 'link' && entry.linkname) deps.push([entry.linkname, `hard-link target of ${path}`]);
    if (entry.shebang) deps.push([entry.shebang, `interpreter of script ${path}`]);
    if (this.index.elf(path)) {
      const closure = elfClosure([path], this.index, search);
      deps.push(...closure.paths);
      for (const u of closure.unresolved) unresolved.add(u);
    }
    return deps;
  }

  /** Drop what the exclude globs name (the user's call, even when traced); returns what was dropped. */
  exclude(globs: string[]): string[] {
    const excludedMatch = globMatcher(globs);
    const excluded: string[] = [];
    for (const path of [...this.paths.keys()]) {
      if (!excludedMatch(path)) continue;
      this.paths.delete(path);
      this.fromTrace.delete(path);
      excluded.push(path);
    }
    return excluded.sort();
  }

  /** Parent directories, so every kept path keeps its directories' modes and owners. */
  keepParentDirectories(): void {
    for (const path of [...this.paths.keys()]) {
      for (let dir = posix.dirname(path); dir !== '/'; dir = posix.dirname(dir)) {
        if (this.paths.has(dir)) continue;
        const entry = this.index.get(dir);
        if (entry?.type === 'symlink') {
          // A parent that is a symlink was resolved earlier; keep the link, its target is kept.
          this.paths.set(dir, `symlink on the way to ${path}`);
        } else if (entry) this.paths.set(dir, `parent directory of ${path}`);
      }
    }
    for (const path of [...this.paths.keys()])
      if (RUNTIME_MOUNTS.test(path) || ENGINE_FILES.has(path)) this.paths.delete(path);
  }

  /** Bytes of the distinct regular files the trace reached, with their closure. */
  floorBytes(): number {
    let bytes = 0;
    for (const path of this.fromTrace) {
      const entry = this.index.get(path);
      if (entry?.type === 'file' && this.paths.has(path)) bytes += entry.size;
    }
    return bytes;
  }
}
