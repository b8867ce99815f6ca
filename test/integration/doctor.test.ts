/** `shipshape doctor` against the real machine: the test environment must be ready. */
import { describe, expect, it } from 'vitest';
import { shipshape } from '../support/cli.js';

describe('shipshape doctor', () => {
  it('reports the engine, registry and test oracles ready', () => {
    const r = shipshape(['doctor', 'tests', '--json'], { timeout: 120_000 });
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
    expect(r.code).toBe(0);
  });

  it('exits 3 and names the fix when a needed prerequisite is missing', () => {
    // An engine address where nothing listens.
    const r = shipshape(['doctor', 'up'], { timeout: 120_000, env: { DOCKER_HOST: 'tcp://127.0.0.1:1' } });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(
      /missing\s+Docker engine\s+up, slim, tests\s+not reachable: .* → on Debian run scripts\/dev-env\.sh/,
    );
  });
});
