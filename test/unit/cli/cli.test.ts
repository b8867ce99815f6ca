/** The CLI as a user meets it: a real process, its output and exit codes. */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeDir } from '../../support/compose-dir.js';

const root = resolve(import.meta.dirname, '../../..');

function shipshape(args: string[], cwd = root) {
  const r = spawnSync(
    process.execPath,
    // `--` as the launchers do (see src/cli/main.ts): no argument below is Node's.
    ['--import', import.meta.resolve('tsx'), '--', join(root, 'src/cli/main.ts'), ...args],
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 60_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('shipshape CLI', () => {
  it('prints the version', () => {
    const r = shipshape(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('every command has --help with an example', () => {
    const top = shipshape(['--help']);
    expect(top.code).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}([a-z]+)(?: \[options\])?/gm)]
      .map((m) => m[1]!)
      .filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['config', 'doctor']));
    for (const c of commands) {
      const r = shipshape([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/Examples?:\n\s+shipshape /);
    }
  });

  it('config prints the normalized model with the traffic graph, as YAML or JSON', () => {
    const yaml = shipshape(['config', '-f', 'examples/web-api/compose.yaml']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toMatch(/^traffic:\n {2}- from: internet\n {4}to: web/m);
    const json = shipshape(['config', '-f', 'examples/web-api/compose.yaml', '--format', 'json']);
    expect(json.code).toBe(0);
    const model = JSON.parse(json.stdout) as { traffic: { from: string; to: string; ports: number[] }[] };
    expect(model.traffic.map((e) => `${e.from}->${e.to}:${e.ports.join(',')}`)).toEqual([
      'internet->web:8080',
      'web->api:5000',
    ]);
  });

  it('bad input: one located message, exit code 2, no stack trace', () => {
    const dir = composeDir({ 'compose.yaml': 'services:\n  web:\n    image: x\n    ports: ["99999:80"]\n' });
    const r = shipshape(['config'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /compose\.yaml:4:\d+: error: services\.web\.ports\[0\]: host port 99999 is out of range\n {2}hint: /,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('no compose file: says where it looked, exit code 2', () => {
    const r = shipshape(['config'], composeDir({}));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no compose file in .*\n {2}hint: create compose\.yaml/);
  });

  it('--debug adds the stack trace', () => {
    const dir = composeDir({ 'compose.yaml': 'services: [' });
    const r = shipshape(['config', '--debug'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('unknown keys warn on stderr and still print the model', () => {
    const dir = composeDir({ 'compose.yaml': 'services:\n  web:\n    image: x\n    imagee: y\n' });
    const r = shipshape(['config', '--services'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('web\n');
    expect(r.stderr).toMatch(
      /compose\.yaml:4:5: warning: services\.web\.imagee: unknown key "imagee" is ignored\n {2}hint: did you mean "image"\?/,
    );
  });

  it('an unknown flag is a usage error (exit 2)', () => {
    const r = shipshape(['config', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });

  it("--env-file is shipshape's, not Node's: a missing file is our located error, exit 2", () => {
    const dir = composeDir({
      'compose.yaml': 'services:\n  web:\n    image: "app:${TAG}"\n',
      'prod.env': 'TAG=prod\n',
    });
    const missing = shipshape(['--env-file', 'missing.env', 'config', '--services'], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/env file missing\.env not found/);
    const present = shipshape(['--env-file', 'prod.env', 'config', '--format', 'json'], dir);
    expect(present.code).toBe(0);
    expect(present.stdout).toContain('"image": "app:prod"');
  });
});
