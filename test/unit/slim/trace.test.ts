import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTrace, splitArgs, unescape } from '../../../src/slim/trace.js';

const fixture = readFileSync(new URL('../../fixtures/slim/ls-etc.trace', import.meta.url), 'utf8');

describe('parseTrace', () => {
  it('collects opened, stat’ed and executed paths from a real strace of `ls /etc`', () => {
    const t = parseTrace(fixture);
    const paths = new Set(t.accesses.map((a) => a.path));
    expect(paths).toContain('/usr/bin/ls');
    expect(paths).toContain('/etc/ld.so.cache');
    // Both the name asked for and the file the kernel opened (the -y annotation).
    expect(paths).toContain('/lib/x86_64-linux-gnu/libc.so.6');
    expect(paths).toContain('/usr/lib/x86_64-linux-gnu/libc.so.6');
    expect(t.execs).toEqual([expect.objectContaining({ path: '/usr/bin/ls', argv: ['ls', '/etc'] })]);
    expect(t.missing).toContain('/etc/ld.so.preload');
    expect(t.missing).not.toContain('/etc');
  });

  it('joins unfinished and resumed calls and resolves relative paths against the cwd', () => {
    const t = parseTrace(
      [
        '7 chdir("/srv") = 0',
        '7 openat(AT_FDCWD, "data/a.json", O_RDONLY <unfinished ...>',
        '8 stat("/x", 0x1) = -1 ENOENT (No such file or directory)',
        '7 <... openat resumed>) = 3</srv/data/a.json>',
        '7 clone(child_stack=NULL, flags=SIGCHLD) = 9',
        '9 access("rel", R_OK) = 0',
        '7 openat(4</opt/lib>, "mod.so", O_RDONLY) = 5</opt/lib/mod.so>',
        '7 readlink("/proc/self/exe", "/usr/bin/x", 4095) = 10',
        '7 mkdir("/srv/cache", 0755) = 0',
      ].join('\n'),
      '/',
    );
    const byPath = new Map(t.accesses.map((a) => [a.path, a]));
    expect(byPath.get('/srv/data/a.json')?.ok).toBe(true);
    expect(byPath.get('/srv/rel')?.syscall).toBe('access'); // child inherited the cwd
    expect(byPath.get('/opt/lib/mod.so')).toBeDefined(); // dirfd-relative
    expect(byPath.get('/srv/cache')?.writes).toBe(true);
    expect(byPath.get('/srv/data/a.json')?.writes).toBe(false);
    expect(t.forks).toEqual([{ parent: 7, child: 9, seq: 5 }]);
    expect(t.missing).toContain('/x');
  });

  it('marks opens for writing', () => {
    const t = parseTrace('1 openat(AT_FDCWD</>, "/tmp/x", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3</tmp/x>');
    expect(t.accesses[0]!.writes).toBe(true);
  });
});

describe('strace text helpers', () => {
  it('splits arguments outside strings, arrays and fd annotations', () => {
    expect(splitArgs('AT_FDCWD</a,b>, "x, y", ["p", "q"], {st_mode=1, st_size=2}, 0')).toEqual([
      'AT_FDCWD</a,b>',
      '"x, y"',
      '["p", "q"]',
      '{st_mode=1, st_size=2}',
      '0',
    ]);
  });

  it('undoes C escapes including octal UTF-8 bytes', () => {
    expect(unescape('caf\\303\\251 \\"q\\" \\\\ \\x41')).toBe('café "q" \\ A');
  });
});
