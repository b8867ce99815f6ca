import { describe, expect, it } from 'vitest';
import { missedPaths } from '../../../src/slim/missed.js';
import { parseTrace } from '../../../src/slim/trace.js';
import { fakeIndex } from './helpers.js';

describe('missed.txt', () => {
  const index = fakeIndex([
    { path: '/srv', type: 'directory' },
    { path: '/srv/srv.py', type: 'file' },
    { path: '/srv/helper.py', type: 'file' },
    { path: '/site', type: 'directory' },
    ...Array.from({ length: 30 }, (_, i) => ({ path: `/site/mod${i}.py`, type: 'file' as const })),
    { path: '/site/yaml', type: 'directory' },
    { path: '/site/yaml.cpython-311-x86_64-linux-gnu.so', type: 'file' },
  ]);
  const trace = parseTrace(
    [
      '7 openat(AT_FDCWD</>, "/srv", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3</srv>',
      '7 openat(AT_FDCWD</>, "/site", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3</site>',
      '7 openat(AT_FDCWD</>, "/etc/passwd", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)',
      '7 newfstatat(AT_FDCWD</>, "/nowhere", 0x7ffd, 0) = -1 ENOENT (No such file or directory)',
    ].join('\n'),
  );
  const kept = new Set(['/srv', '/srv/srv.py', '/site']);

  it('names failed lookups the original has, and files left out of listed directories', () => {
    expect(trace.listed).toEqual(new Set(['/srv', '/site']));
    // /site misses 32 entries: too broad to name without a module name from the logs.
    expect(missedPaths(trace, index, kept, '')).toEqual(['/etc/passwd', '/srv/helper.py']);
  });

  it("narrows a broad directory to the module the logs name (No module named 'yaml')", () => {
    expect(missedPaths(trace, index, kept, "ModuleNotFoundError: No module named 'yaml'\n")).toEqual([
      '/etc/passwd',
      '/site/yaml',
      '/site/yaml.cpython-311-x86_64-linux-gnu.so',
      '/srv/helper.py',
    ]);
  });
});
