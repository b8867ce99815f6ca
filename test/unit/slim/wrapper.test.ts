import { describe, expect, it } from 'vitest';
import { parseTrace } from '../../../src/slim/trace.js';
import { analyzeEntrypoint } from '../../../src/slim/wrapper.js';
import { fakeIndex } from './helpers.js';

const env = '["PATH=/usr/bin", "HOME=/"]';
const index = fakeIndex();
const argv = ['/entrypoint.sh', '/usr/bin/app', '--port', '80'];

describe('analyzeEntrypoint', () => {
  it('drops a script that only exec’d its arguments, and its activity from the trace', () => {
    const trace = parseTrace(
      [
        `5 execve("/entrypoint.sh", ["/entrypoint.sh", "/usr/bin/app", "--port", "80"], ${env}) = 0`,
        '5 openat(AT_FDCWD</>, "/etc/ld.so.cache", O_RDONLY) = 3</etc/ld.so.cache>',
        '5 clone(child_stack=NULL, flags=SIGCHLD) = 6',
        '6 access("/usr/bin/app", X_OK) = 0',
        `5 execve("/usr/bin/app", ["/usr/bin/app", "--port", "80"], ["HOME=/", "PATH=/usr/bin", "PWD=/"]) = 0`,
        '5 openat(AT_FDCWD</>, "/etc/app.conf", O_RDONLY) = 3</etc/app.conf>',
      ].join('\n'),
    );
    const v = analyzeEntrypoint(trace, argv, 1, index);
    expect(v.elided).toBe(true);
    expect(v.reason).toMatch(/only exec’d its arguments/);
    const paths = v.trace!.accesses.map((a) => a.path);
    expect(paths).toContain('/usr/bin/app');
    expect(paths).toContain('/etc/app.conf');
    expect(paths).not.toContain('/entrypoint.sh');
    expect(paths).not.toContain('/etc/ld.so.cache');
  });

  const keptBecause = (lines: string[]) => analyzeEntrypoint(parseTrace(lines.join('\n')), argv, 1, index);

  it('keeps a script that runs another program', () => {
    const v = keptBecause([
      `5 execve("/entrypoint.sh", ["/entrypoint.sh", "/usr/bin/app", "--port", "80"], ${env}) = 0`,
      '5 clone(child_stack=NULL, flags=SIGCHLD) = 6',
      `6 execve("/usr/bin/mkdir", ["mkdir", "-p", "/tmp/c"], ${env}) = 0`,
      `5 execve("/usr/bin/app", ["/usr/bin/app", "--port", "80"], ${env}) = 0`,
    ]);
    expect(v.elided).toBe(false);
    expect(v.reason).toMatch(/runs \/usr\/bin\/mkdir.*kept/);
  });

  it('keeps a script that writes a file, changes the environment or rewrites the command', () => {
    expect(
      keptBecause([
        `5 execve("/entrypoint.sh", ["/entrypoint.sh", "/usr/bin/app", "--port", "80"], ${env}) = 0`,
        '5 openat(AT_FDCWD</>, "/tmp/state", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3</tmp/state>',
        `5 execve("/usr/bin/app", ["/usr/bin/app", "--port", "80"], ${env}) = 0`,
      ]).reason,
    ).toMatch(/changes \/tmp\/state/);
    expect(
      keptBecause([
        `5 execve("/entrypoint.sh", ["/entrypoint.sh", "/usr/bin/app", "--port", "80"], ${env}) = 0`,
        `5 execve("/usr/bin/app", ["/usr/bin/app", "--port", "80"], ["PATH=/usr/bin", "HOME=/", "SECRET=1"]) = 0`,
      ]).reason,
    ).toMatch(/changed the environment/);
    expect(
      keptBecause([
        `5 execve("/entrypoint.sh", ["/entrypoint.sh", "/usr/bin/app", "--port", "80"], ${env}) = 0`,
        `5 execve("/usr/bin/app", ["/usr/bin/app", "--port", "80", "--extra"], ${env}) = 0`,
      ]).reason,
    ).toMatch(/instead of its arguments/);
  });

  it('does nothing for a binary entrypoint', () => {
    const v = analyzeEntrypoint(
      parseTrace(`5 execve("/usr/bin/app", ["/usr/bin/app"], ${env}) = 0`),
      ['/usr/bin/app'],
      1,
      index,
    );
    expect(v.elided).toBe(false);
    expect(v.script).toBeUndefined();
  });
});
