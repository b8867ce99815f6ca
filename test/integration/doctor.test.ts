/** `shipshape doctor` against the real machine: the test environment must be ready. */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe('shipshape doctor', () => {
  it('reports the engine, registry and test oracles ready', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(root, 'src/cli/main.ts'), 'doctor', 'tests', '--json'],
      {
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    const report = JSON.parse(r.stdout) as {
      ready: boolean;
      checks: { id: string; ok: boolean; detail: string }[];
    };
    const byId = Object.fromEntries(report.checks.map((c) => [c.id, c]));
    for (const id of ['docker', 'registry', 'moto_server', 'cfn-lint', 'strace']) {
      expect(byId[id], `${id}: ${byId[id]?.detail}`).toMatchObject({ ok: true });
    }
    expect(byId.docker!.detail).toMatch(/API \d+\.\d+/);
    expect(report.ready).toBe(true);
    expect(r.status).toBe(0);
  });

  it('exits 3 and names the fix when a needed prerequisite is missing', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), join(root, 'src/cli/main.ts'), 'doctor', 'up'],
      {
        encoding: 'utf8',
        timeout: 120_000,
        // An engine address where nothing listens.
        env: { ...process.env, DOCKER_HOST: 'tcp://127.0.0.1:1', NO_COLOR: '1' },
      },
    );
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(
      /missing\s+Docker engine\s+up, slim, tests\s+not reachable: .* → on Debian run scripts\/dev-env\.sh/,
    );
  });
});
