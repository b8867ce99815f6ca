/** The CLI as a user meets it: a real process, its output and exit codes. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
    expect(yaml.stdout).toMatch(/^traffic:\n {2}- from: \(internet\)\n {4}to: web/m);
    const json = shipshape(['config', '-f', 'examples/web-api/compose.yaml', '--format', 'json']);
    expect(json.code).toBe(0);
    const model = JSON.parse(json.stdout) as { traffic: { from: string; to: string; ports: number[] }[] };
    expect(model.traffic.map((e) => `${e.from}->${e.to}:${e.ports.join(',')}`)).toEqual([
      '(internet)->web:8080',
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

describe('shipshape check (CLI)', () => {
  const bad = 'test/fixtures/check/bad/compose.yaml';
  const clean = 'test/fixtures/check/clean/compose.yaml';

  it('exits 4 when findings reach --fail-on, 0 when they do not, and prints each with file:line', () => {
    const r = shipshape(['-f', bad, '-q', 'check', '--only', 'compose,dockerfile']);
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(
      /high {3}SS-COMPOSE-001 {2}test\/fixtures\/check\/bad\/compose\.yaml:27:\d+ {2}privileged/,
    );
    expect(r.stdout).toMatch(/check failed: \d+ finding\(s\) at or above medium/);
    const worker = shipshape(['-f', bad, '-q', 'check', 'worker', '--only', 'compose', '--fail-on', 'high']);
    expect(worker.code).toBe(0);
    expect(worker.stdout).toContain('check passed (--fail-on high)');
    expect(
      shipshape(['-f', clean, '-q', 'check', '--only', 'compose,dockerfile', '--fail-on', 'low']).code,
    ).toBe(0);
  });

  it('writes SARIF and JSON to a file', () => {
    const dir = composeDir({});
    const sarif = shipshape([
      '-f',
      bad,
      '-q',
      'check',
      '--only',
      'compose',
      '--format',
      'sarif',
      '-o',
      `${dir}/out.sarif`,
    ]);
    expect(sarif.code).toBe(4);
    expect(sarif.stdout).toBe('');
    const log = JSON.parse(readFileSync(`${dir}/out.sarif`, 'utf8')) as {
      version: string;
      runs: { results: unknown[] }[];
    };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]!.results.length).toBeGreaterThan(20);
    const json = shipshape(['-f', bad, '-q', 'check', 'game', '--only', 'compose', '--format', 'json']);
    const out = JSON.parse(json.stdout) as {
      passed: boolean;
      findings: { ruleId: string; service: string }[];
    };
    expect(out.passed).toBe(false);
    expect(new Set(out.findings.map((f) => f.service))).toEqual(new Set(['game']));
  });

  it('bad input exits 2: an unknown service, an unknown family', () => {
    const r = shipshape(['-f', bad, 'check', 'nope', '--only', 'compose']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no service named "nope" in check-bad');
    expect(r.stderr).toContain('hint: services: web, cache, agent, game, worker');
    expect(shipshape(['-f', bad, 'check', '--only', 'compose,nope']).code).toBe(2);
  });
});
