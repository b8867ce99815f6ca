import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  statSync,
  chmodSync,
} from 'node:fs';
import { delimiter, join, posix } from 'node:path';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import { elfClosure, type FsView } from './closure.js';
import { parseElf, type ElfInfo } from '../images/elf.js';

/**
 * The tracer bundle: the host's strace with its own ELF interpreter and libraries, copied into
 * one directory that is bind-mounted read-only into the traced container. strace is started
 * through the bundled loader (`ld.so --library-path`), so it runs the same in glibc, musl, static
 * and distroless images — it never touches the image's loader or libc, and the traced program
 * inherits no LD_* variable from it.
 */

/** Where the bundle is mounted in the traced container. */
export const TRACER_MOUNT = '/.shipshape-tracer';
/** Where the traced container writes its trace (a writable bind mount owned by the run). */
export const TRACE_MOUNT = '/.shipshape-trace';
/** The trace file inside TRACE_MOUNT. */
export const TRACE_FILE = 'trace.log';

export interface TracerBundle {
  /** Host directory holding the bundle (`strace`, the loader, `lib/`). */
  dir: string;
  /** Container argv that runs strace through the bundled loader; append `--` and the program. */
  prefix: string[];
}

/** Host filesystem view for the closure resolver. */
const hostFs: FsView = {
  realPath(path) {
    try {
      return realpathSync(path);
    } catch {
      return undefined;
    }
  },
  elf(realPath): ElfInfo | undefined {
    try {
      if (!statSync(realPath).isFile()) return undefined;
      return parseElf(readFileSync(realPath));
    } catch {
      return undefined;
    }
  },
};

/** The strace binary on PATH (or /usr/bin/strace), or a ShipshapeError that says how to get one. */
export function findStrace(): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'strace')),
    '/usr/bin/strace',
  ];
  const found = candidates.find((c) => c.startsWith('/') && existsSync(c));
  if (!found) {
    throw new ShipshapeError('strace is not installed; `shipshape slim` traces the app with it', {
      exitCode: ExitCode.environment,
      hint: 'install it (Debian/Ubuntu: apt-get install strace); `shipshape doctor slim` checks',
    });
  }
  return found;
}

/**
 * Copy strace, its interpreter and its DT_NEEDED closure into `dir` (which must exist).
 * The syscalls traced are chosen by the caller (see `traceCommand`).
 */
export function buildTracerBundle(dir: string, strace: string = findStrace()): TracerBundle {
  const info = hostFs.elf(realpathSync(strace));
  if (!info) {
    throw new ShipshapeError(`${strace} is not an ELF binary`, {
      exitCode: ExitCode.environment,
      hint: 'install the distribution strace package',
    });
  }
  const libDir = join(dir, 'lib');
  mkdirSync(libDir, { recursive: true });
  // The container's user (often non-root) must be able to traverse the bundle; its content is
  // public (the distribution's strace), and it is mounted read-only.
  chmodSync(dir, 0o755);
  chmodSync(libDir, 0o755);
  const copy = (from: string, to: string) => {
    copyFileSync(realpathSync(from), to);
    chmodSync(to, 0o555);
  };
  copy(strace, join(dir, 'strace'));
  if (info.isStatic || !info.interpreter) {
    // A static strace needs nothing else and runs directly.
    return { dir, prefix: [`${TRACER_MOUNT}/strace`] };
  }
  const closure = elfClosure([strace], hostFs);
  if (closure.unresolved.length > 0) {
    throw new ShipshapeError(`cannot bundle strace: missing libraries ${closure.unresolved.join(', ')}`, {
      exitCode: ExitCode.environment,
      hint: 'reinstall strace (apt-get install --reinstall strace)',
    });
  }
  const loaderName = posix.basename(info.interpreter);
  copy(info.interpreter, join(dir, loaderName));
  for (const lib of closure.paths.keys()) {
    if (posix.basename(lib) === loaderName) continue;
    copy(lib, join(libDir, posix.basename(lib)));
  }
  return {
    dir,
    prefix: [
      `${TRACER_MOUNT}/${loaderName}`,
      '--library-path',
      `${TRACER_MOUNT}/lib`,
      `${TRACER_MOUNT}/strace`,
    ],
  };
}

/**
 * The syscalls traced: every call that names a path (%file), process creation and exec
 * (%process), and the two fd-relative directory calls needed to resolve relative paths.
 * Reads and writes are not traced: they name no path and would slow the app down.
 */
export const TRACED_SYSCALLS = '%file,%process,fchdir,openat2';

/** Full container argv: strace (following forks, full-length strings, fd paths) then `program`. */
export function traceCommand(bundle: TracerBundle, program: string[]): string[] {
  return [
    ...bundle.prefix,
    '-I', // fatal signals interrupt strace (the default with -o blocks them, so a stop would
    '2', // wait out the engine's timeout); strace then ends the program it started
    '-f', // follow forks and threads: the keep-set must cover every process
    '-qq', // no attach/exit chatter
    '-y', // print the path behind each fd argument, so dirfd-relative calls resolve
    '-s',
    '4096', // full path strings (the default truncates at 32 bytes)
    '-e',
    `trace=${TRACED_SYSCALLS}`,
    '-e',
    'signal=none',
    '-e',
    'abbrev=!execve,execveat', // full exec environments, to tell a pass-through entrypoint script
    '-o',
    `${TRACE_MOUNT}/${TRACE_FILE}`,
    '--',
    ...program,
  ];
}
