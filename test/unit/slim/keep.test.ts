import { describe, expect, it } from 'vitest';
import { computeKeepSet, globMatcher } from '../../../src/slim/keep.js';
import { PACKAGE_MANAGERS, SHELLS, findNamed, findSetuid } from '../../../src/images/contents.js';
import { parseTrace } from '../../../src/slim/trace.js';
import { fakeIndex } from './helpers.js';

const trace = (lines: string[]) => parseTrace(lines.map((l) => `9 ${l}`).join('\n'));

describe('computeKeepSet', () => {
  const index = fakeIndex();

  it('keeps traced files with their symlink chains, parents and ELF closure', () => {
    const keep = computeKeepSet(index, trace(['execve("/bin/app", ["app"], 0x0 /* 1 var */) = 0']));
    const kept = [...keep.paths.keys()];
    expect(kept).toEqual(
      expect.arrayContaining([
        '/bin', // symlink on the way
        '/usr/bin/app',
        '/usr/bin',
        '/usr',
        '/lib64', // the interpreter's chain: /lib64 → usr/lib64 → ../lib/x86_64-linux-gnu/…
        '/usr/lib64/ld-linux-x86-64.so.2',
        '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
        '/usr/lib/x86_64-linux-gnu/libz.so.1', // DT_NEEDED through its symlink
        '/usr/lib/x86_64-linux-gnu/libz.so.1.2.13',
        '/usr/lib/x86_64-linux-gnu/libc.so.6',
        '/etc/passwd',
        '/etc/group',
        '/tmp',
      ]),
    );
    expect(keep.paths.get('/usr/lib/x86_64-linux-gnu/libz.so.1')).toMatch(
      /library needed by \/usr\/bin\/app$/,
    );
    expect(keep.paths.get('/usr/lib64/ld-linux-x86-64.so.2')).toMatch(/ELF interpreter of \/usr\/bin\/app$/);
    expect(kept).not.toContain('/usr/bin/bash');
    expect(kept).not.toContain('/usr/bin/dash');
    expect(kept).not.toContain('/app/secret.key');
    // Floor: the distinct regular files the trace and closure reached.
    expect(keep.floorBytes).toBe(5000 + 200 + 2000 + 100);
    expect(keep.unresolved).toEqual([]);
  });

  it('keeps the interpreter of an executed script, with the interpreter’s closure', () => {
    const keep = computeKeepSet(index, trace(['execve("/entrypoint.sh", ["/entrypoint.sh"], 0x0) = 0']));
    expect(keep.paths.get('/usr/bin/dash')).toBe('interpreter of script /entrypoint.sh');
    expect(keep.paths.has('/usr/bin/sh')).toBe(true);
    expect(keep.paths.has('/usr/lib/x86_64-linux-gnu/libc.so.6')).toBe(true);
  });

  it('keeps a directory that was only stat’ed without its contents', () => {
    const keep = computeKeepSet(index, trace(['newfstatat(AT_FDCWD</>, "/app/templates", {}, 0) = 0']));
    expect(keep.paths.has('/app/templates')).toBe(true);
    expect(keep.paths.has('/app/templates/a.html')).toBe(false);
  });

  it('applies includes (directory globs cover their contents) and excludes, excludes winning', () => {
    const keep = computeKeepSet(
      index,
      trace(['openat(AT_FDCWD</>, "/app/secret.key", O_RDONLY) = 3</app/secret.key>']),
      {
        include: ['/app/templates'],
        exclude: ['/app/*.key'],
      },
    );
    expect(keep.paths.has('/app/templates/a.html')).toBe(true);
    expect(keep.paths.has('/app/templates/b.html')).toBe(true);
    expect(keep.paths.has('/app/secret.key')).toBe(false);
    expect(keep.excluded).toEqual(['/app/secret.key']);
  });

  it('never copies runtime mounts or engine-provided files, and keeps WORKDIR and volumes', () => {
    const keep = computeKeepSet(
      index,
      trace([
        'openat(AT_FDCWD</>, "/proc/self/maps", O_RDONLY) = 3</proc/1/maps>',
        'access("/.dockerenv", F_OK) = 0',
        'stat("/nope", 0x1) = -1 ENOENT (No such file or directory)',
      ]),
      { workingDir: '/app', volumes: ['/app/templates'] },
    );
    expect(keep.paths.has('/proc')).toBe(false);
    expect(keep.paths.has('/.dockerenv')).toBe(false);
    expect(keep.paths.has('/nope')).toBe(false);
    expect(keep.paths.get('/app')).toBe('working directory');
    expect(keep.paths.get('/app/templates')).toBe('volume mount point');
  });

  it('reports libraries the loader would not find', () => {
    const broken = fakeIndex([
      {
        path: '/usr/bin/tool',
        type: 'file',
        size: 1,
        elf: {
          bits: 64,
          littleEndian: true,
          machine: 62,
          type: 2,
          needed: ['libmissing.so.3'],
          rpath: [],
          runpath: [],
          isStatic: false,
        },
      },
    ]);
    const keep = computeKeepSet(broken, trace(['execve("/usr/bin/tool", ["tool"], 0x0) = 0']));
    expect(keep.unresolved).toEqual(['/usr/bin/tool: libmissing.so.3']);
  });

  it('honours DT_RUNPATH with $ORIGIN and ignores libraries of another machine', () => {
    const idx = fakeIndex([
      { path: '/opt', type: 'directory' },
      { path: '/opt/app', type: 'directory' },
      { path: '/opt/app/lib', type: 'directory' },
      {
        path: '/opt/app/lib/libpriv.so',
        type: 'file',
        size: 3,
        elf: {
          bits: 64,
          littleEndian: true,
          machine: 62,
          type: 3,
          needed: [],
          rpath: [],
          runpath: [],
          isStatic: false,
        },
      },
      {
        path: '/usr/lib/libpriv.so',
        type: 'file',
        size: 3,
        elf: {
          bits: 32,
          littleEndian: true,
          machine: 3,
          type: 3,
          needed: [],
          rpath: [],
          runpath: [],
          isStatic: false,
        },
      },
      {
        path: '/opt/app/run',
        type: 'file',
        size: 4,
        elf: {
          bits: 64,
          littleEndian: true,
          machine: 62,
          type: 2,
          needed: ['libpriv.so'],
          rpath: [],
          runpath: ['$ORIGIN/lib'],
          isStatic: true,
        },
      },
    ]);
    const keep = computeKeepSet(idx, trace(['execve("/opt/app/run", ["run"], 0x0) = 0']));
    expect(keep.paths.has('/opt/app/lib/libpriv.so')).toBe(true);
    expect(keep.paths.has('/usr/lib/libpriv.so')).toBe(false);
  });
});

describe('report helpers', () => {
  const index = fakeIndex();
  it('finds shells, package managers (versioned names too) and setuid files', () => {
    expect(findNamed(index, SHELLS)).toEqual(['/usr/bin/bash', '/usr/bin/dash', '/usr/bin/sh']);
    expect(findNamed(index, PACKAGE_MANAGERS)).toEqual(['/usr/bin/apt-get', '/usr/bin/pip3.11']);
    expect(findSetuid(index)).toEqual(['/usr/bin/su']);
    expect(findSetuid(index, new Set(['/usr/bin/app']))).toEqual([]);
  });

  it('matches globs from the root, with or without a leading slash', () => {
    const m = globMatcher(['app/templates', '/usr/**/*.so.*']);
    expect(m('/app/templates/a.html')).toBe(true);
    expect(m('/usr/lib/x86_64-linux-gnu/libz.so.1')).toBe(true);
    expect(m('/app/secret.key')).toBe(false);
  });
});
