/**
 * The real launchers — bin/shipshape and dist/cli/main.js through its own `#!` line, as npm
 * installs it — leave every user argument to shipshape. Node 20 takes `--env-file` as its own
 * option even after the script name and exits 9 with its own message unless `--` ends its options.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { composeDir } from '../support/compose-dir.js';

const root = resolve(import.meta.dirname, '../..');
const main = join(root, 'dist/cli/main.js');
const project = () =>
  composeDir({ 'compose.yaml': 'services:\n  web:\n    image: "app:${TAG}"\n', 'prod.env': 'TAG=prod\n' });

/** Run `file` the way the kernel runs a script: its `#!` interpreter and argument, then the file. */
function viaShebang(file: string, args: string[], cwd: string) {
  const [interpreter, arg] = readFileSync(file, 'utf8').split('\n')[0]!.slice(2).split(/ (.*)/s) as [
    string,
    string?,
  ];
  return spawnSync(interpreter, [...(arg ? [arg] : []), file, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
}

describe('launching shipshape', () => {
  beforeAll(() => {
    // bin/shipshape builds dist when it is missing or stale (CI builds before the tests).
    const r = spawnSync(join(root, 'bin/shipshape'), ['--version'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it("bin/shipshape --env-file: a missing file is shipshape's error (exit 2), a present one is used", () => {
    const dir = project();
    const missing = spawnSync(
      join(root, 'bin/shipshape'),
      ['--env-file', 'missing.env', 'config', '--services'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/error: env file missing\.env not found/);
    expect(missing.stderr).not.toMatch(/^node:/m);
    const present = spawnSync(
      join(root, 'bin/shipshape'),
      ['--env-file=prod.env', 'config', '--format', 'json'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    expect(present.status, present.stderr).toBe(0);
    expect(present.stdout).toContain('"image": "app:prod"');
  });

  it('dist/cli/main.js through its #! line: --env-file and Node-looking flags reach shipshape', () => {
    const dir = project();
    const missing = viaShebang(main, ['--env-file', 'missing.env', 'config'], dir);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/env file missing\.env not found/);
    const inspect = viaShebang(main, ['config', '--inspect'], dir);
    expect(inspect.status).toBe(2);
    expect(inspect.stderr).toMatch(/unknown option '--inspect'/);
  });
});
