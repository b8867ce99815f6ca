import { chmodSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExitCode, ShipshapeError } from '../../../src/model/errors.js';
import { loadApp } from '../../../src/model/load.js';
import { runCheck } from '../../../src/policy/check.js';
import { failingFindings, type Finding } from '../../../src/policy/findings.js';
import { RULES } from '../../../src/policy/rules/catalog.js';
import { composeDir } from '../../support/compose-dir.js';

const fixture = (name: string) =>
  new URL(`../../fixtures/check/${name}/compose.yaml`, import.meta.url).pathname;
const STATIC = { families: ['compose', 'dockerfile'] as const };

/** rule → [service, file (compose.yaml | app/Dockerfile), line] it must be reported at. */
const EXPECTED: Record<string, [string, string, number][]> = {
  'SS-COMPOSE-001': [['agent', 'compose.yaml', 27]],
  'SS-COMPOSE-002': [['agent', 'compose.yaml', 34]],
  'SS-COMPOSE-003': [['agent', 'compose.yaml', 35]],
  'SS-COMPOSE-004': [['agent', 'compose.yaml', 28]],
  'SS-COMPOSE-005': [['agent', 'compose.yaml', 29]],
  'SS-COMPOSE-006': [['agent', 'compose.yaml', 30]],
  'SS-COMPOSE-007': [['web', 'compose.yaml', 18]],
  'SS-COMPOSE-008': [['web', 'compose.yaml', 11]],
  'SS-COMPOSE-009': [
    ['web', 'app/Dockerfile', 4],
    ['agent', 'compose.yaml', 26],
  ],
  'SS-COMPOSE-010': [['agent', 'compose.yaml', 32]],
  'SS-COMPOSE-011': [['game', 'compose.yaml', 42]],
  'SS-COMPOSE-012': [['game', 'compose.yaml', 45]],
  'SS-COMPOSE-013': [['web', 'compose.yaml', 14]],
  'SS-COMPOSE-014': [['web', 'compose.yaml', 15]],
  'SS-COMPOSE-015': [['web', 'compose.yaml', 7]],
  'SS-COMPOSE-016': [['web', 'compose.yaml', 7]],
  'SS-COMPOSE-017': [['web', 'compose.yaml', 9]],
  'SS-COMPOSE-018': [
    ['agent', 'compose.yaml', 26],
    ['worker', 'compose.yaml', 47],
  ],
  'SS-COMPOSE-019': [
    ['cache', 'compose.yaml', 20],
    ['agent', 'compose.yaml', 26],
  ],
  'SS-COMPOSE-020': [['cache', 'compose.yaml', 24]],
  'SS-COMPOSE-021': [['game', 'compose.yaml', 40]],
  'SS-COMPOSE-022': [
    ['web', 'compose.yaml', 12],
    ['game', 'compose.yaml', 45],
  ],
  'SS-COMPOSE-023': [['web', 'compose.yaml', 16]],
  'SS-COMPOSE-024': [
    ['cache', 'compose.yaml', 22],
    ['db', 'compose.yaml', 52],
  ],
  'SS-COMPOSE-025': [['docs', 'compose.yaml', 54]],
  'SS-COMPOSE-026': [['broken', 'compose.yaml', 56]],
  'SS-COMPOSE-027': [['cli', 'compose.yaml', 61]],
  'SS-COMPOSE-028': [['sandbox', 'compose.yaml', 65]],
  'SS-COMPOSE-029': [['media', 'compose.yaml', 69]],
  'SS-COMPOSE-030': [['api-v2', 'compose.yaml', 74]],
  'SS-COMPOSE-031': [['proxy', 'compose.yaml', 80]],
  'SS-DOCKERFILE-001': [['web', 'app/Dockerfile', 4]],
  'SS-DOCKERFILE-002': [
    ['web', 'app/Dockerfile', 2],
    ['web', 'app/Dockerfile', 4],
  ],
  'SS-DOCKERFILE-003': [['web', 'app/Dockerfile', 7]],
  'SS-DOCKERFILE-004': [['web', 'app/Dockerfile', 3]],
  'SS-DOCKERFILE-005': [
    ['web', 'app/Dockerfile', 5],
    ['web', 'app/Dockerfile', 6],
  ],
  'SS-DOCKERFILE-006': [['web', 'app/Dockerfile', 9]],
  'SS-DOCKERFILE-007': [['web', 'app/Dockerfile', 4]],
  'SS-DOCKERFILE-008': [['web', 'app/Dockerfile', 8]],
  'SS-DOCKERFILE-009': [['web', 'app/Dockerfile', 10]],
  'SS-DOCKERFILE-010': [['web', 'app/Dockerfile', 11]],
};

const at = (f: Finding) => [f.service, f.location.file.split('/check/bad/')[1], f.location.line];

describe('shipshape check: compose and Dockerfile rules', () => {
  it('reports every compose and Dockerfile rule on the bad fixture, each at its file and line', async () => {
    const r = await runCheck(loadApp([fixture('bad')]), STATIC);
    const fired = new Set(r.findings.map((f) => f.ruleId));
    for (const rule of RULES.filter((x) => x.family === 'compose' || x.family === 'dockerfile'))
      expect(fired, `${rule.id} (${rule.name}) never fired`).toContain(rule.id);
    for (const [id, places] of Object.entries(EXPECTED)) {
      const found = r.findings.filter((f) => f.ruleId === id).map(at);
      for (const place of places) expect(found, id).toContainEqual(place);
    }
    for (const f of r.findings) {
      expect(f.location.line, `${f.ruleId} ${f.message}`).toBeGreaterThan(0);
      expect(f.location.column).toBeGreaterThan(0);
      expect(f.fix.length).toBeGreaterThan(0);
    }
  });

  it('reports nothing on the clean fixture', async () => {
    const r = await runCheck(loadApp([fixture('clean')]), STATIC);
    expect(r.findings.map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
  });

  it('raises dangerous capabilities to high and keeps the rest medium', async () => {
    const dir = composeDir({
      'compose.yaml':
        'services:\n  a:\n    image: x/a:1\n    user: "1"\n    cap_add: [NET_BIND_SERVICE, SYS_PTRACE]\n',
    });
    const r = await runCheck(loadApp([`${dir}/compose.yaml`]), STATIC);
    const caps = r.findings.filter((f) => f.ruleId === 'SS-COMPOSE-007');
    expect(caps.map((f) => [f.message, f.severity])).toEqual([
      ['adds Linux capability SYS_PTRACE', 'high'],
      ['adds Linux capability NET_BIND_SERVICE', 'medium'],
    ]);
  });

  it('reports acknowledged settings as suppressed with their reason, and they never fail the gate', async () => {
    const dir = composeDir({
      'compose.yaml': `services:
  a:
    image: x/a:1
    privileged: true
    user: "1"
    x-shipshape:
      acknowledge:
        - rule: privileged
          reason: loads a kernel module
`,
    });
    const r = await runCheck(loadApp([`${dir}/compose.yaml`]), STATIC);
    const priv = r.findings.find((f) => f.ruleId === 'SS-COMPOSE-001')!;
    expect(priv.suppressed).toEqual({ reason: 'loads a kernel module' });
    expect(failingFindings(r.findings, 'low').map((f) => f.ruleId)).not.toContain('SS-COMPOSE-001');
  });

  it('judges only the services named, and refuses an unknown one (exit 2)', async () => {
    const app = loadApp([fixture('bad')]);
    const r = await runCheck(app, { ...STATIC, services: ['worker'] });
    expect(new Set(r.findings.map((f) => f.service))).toEqual(new Set(['worker']));
    const err = await runCheck(app, { ...STATIC, services: ['nope'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShipshapeError);
    expect((err as ShipshapeError).exitCode).toBe(ExitCode.usage);
    expect((err as ShipshapeError).hint).toContain('web, cache, agent, game, worker');
  });

  it('refuses a service whose Dockerfile is missing (SS-COMPOSE-026) or unreadable (exit 2), naming the compose line', async () => {
    const missing = composeDir({ 'compose.yaml': 'services:\n  a:\n    build: ./nowhere\n' });
    const r = await runCheck(loadApp([`${missing}/compose.yaml`]), STATIC);
    const f = r.findings.find((x) => x.ruleId === 'SS-COMPOSE-026');
    expect(f?.message).toMatch(/Dockerfile .*nowhere\/Dockerfile not found/);
    expect(f?.location.line).toBe(3);
    if (process.getuid?.() !== 0) {
      const dir = composeDir({ 'compose.yaml': 'services:\n  a:\n    build: .\n', Dockerfile: 'FROM x:1\n' });
      chmodSync(`${dir}/Dockerfile`, 0o000);
      let e2: ShipshapeError | undefined;
      try {
        loadApp([`${dir}/compose.yaml`]);
      } catch (e) {
        e2 = e as ShipshapeError;
      }
      expect(e2?.message).toContain('cannot read Dockerfile');
      expect(e2?.exitCode).toBe(ExitCode.usage);
      expect(e2?.location?.line).toBe(3);
    }
  });

  it('judges the stage build.target builds, not the last one', async () => {
    const dir = composeDir({
      'compose.yaml': 'services:\n  a:\n    build: { context: ., target: run }\n',
      Dockerfile: 'FROM debian:12 AS run\nUSER 10001\nFROM debian:12 AS debug\nENV SECRET_TOKEN=abc\n',
    });
    const r = await runCheck(loadApp([`${dir}/compose.yaml`]), STATIC);
    const ids = r.findings.map((f) => f.ruleId);
    expect(ids).not.toContain('SS-DOCKERFILE-001');
    expect(ids).not.toContain('SS-DOCKERFILE-005');
  });
});
