import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HISTORY_LIMIT,
  addToHistory,
  chooseRollback,
  copyRecordedAssembly,
  deploymentId,
  recordedAssembly,
  type DeployableSynth,
  type HistoryEntry,
} from '../../../src/deploy/history.js';
import {
  deploymentHistory,
  lastDeployment,
  recordDeployment,
  type DeploymentRecord,
} from '../../../src/deploy/record.js';
import { parameterChanges, parseReference } from '../../../src/cloud/rollback.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tempDir = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

const entry = (id: string, time: string, api = 'sha-a'): HistoryEntry => ({
  id,
  time,
  stacks: ['shop-dev'],
  images: [{ service: 'api', reference: `127.0.0.1:5000/shop-dev/api:${api}` }],
  parameters: { 'shop-dev:ImageTagApi': api },
});

/** A cloud assembly as synth leaves it: a manifest and one template per stack. */
function fakeSynth(root: string, body: string): DeployableSynth {
  const outdir = join(root, 'cdk.out');
  mkdirSync(outdir, { recursive: true });
  writeFileSync(join(outdir, 'manifest.json'), '{"version":"55.0.0","artifacts":{}}');
  writeFileSync(join(outdir, 'Shared.template.json'), body);
  writeFileSync(join(outdir, 'shop-dev.template.yaml'), body);
  return {
    outdir,
    stacks: [
      {
        name: 'shop-dev',
        id: 'Shared',
        resources: 1,
        templateFile: join(outdir, 'Shared.template.json'),
        yamlFile: join(outdir, 'shop-dev.template.yaml'),
      },
    ],
    profile: { environment: 'dev', kind: 'dev', reason: 'test' } as DeployableSynth['profile'],
    imageSlots: [
      {
        service: 'api',
        stackName: 'shop-dev',
        parameter: 'ImageDigestApi',
        repositoryName: 'shop-dev/api',
        source: { kind: 'service' },
      },
    ],
    jobGates: [],
  };
}

const record = (status: 'DEPLOYED' | 'FAILED', time: string, api = 'sha-a'): DeploymentRecord => ({
  environment: 'dev',
  status,
  time,
  account: '123456789012',
  region: 'us-east-1',
  stacks: [{ name: 'shop-dev', status: 'UPDATE_COMPLETE' }],
  outputs: { url: 'http://lb.example' },
  images: [{ service: 'api', reference: `127.0.0.1:5000/shop-dev/api:${api}` }],
  ...(status === 'FAILED' ? { error: 'api did not reach a steady state' } : {}),
});

describe('the deployment history (what rollback goes back to)', () => {
  it('is bounded, newest first', () => {
    let history: HistoryEntry[] = [];
    for (let i = 0; i < HISTORY_LIMIT + 3; i++)
      history = addToHistory(history, entry(`00000000000${i % 10}`, `t${i}`));
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history[0]!.time).toBe(`t${HISTORY_LIMIT + 2}`);
  });

  it('rollback picks the newest deployment that differs from the current one; again, it goes back', () => {
    const a = entry('aaaaaaaaaaaa', '1');
    const b = entry('bbbbbbbbbbbb', '2');
    expect(chooseRollback([b, b, a], 'dev')).toEqual({ from: b, to: a });
    // After rolling back to a (recorded as a new entry with a's id), the next rollback returns to b.
    const a2 = { ...a, time: '3', rollbackFrom: b.id };
    expect(chooseRollback([a2, b, a], 'dev')).toEqual({ from: a2, to: b });
    expect(chooseRollback([a2, b, a], 'dev', 'aaa').to.id).toBe('aaaaaaaaaaaa');
  });

  it('says why when there is nothing to roll back to, or --to matches no or several ids (exit 2)', () => {
    const a = entry('aaaaaaaaaaaa', '1');
    expect(() => chooseRollback([], 'dev')).toThrow(/no successful deployment of dev is recorded/);
    expect(() => chooseRollback([a, a], 'dev')).toThrow(/nothing to roll back to/);
    expect(() => chooseRollback([a], 'dev', 'f')).toThrow(
      /no recorded deployment of dev has an id starting with "f"/,
    );
    expect(() => chooseRollback([a, entry('abbbbbbbbbbb', '2')], 'dev', 'a')).toThrow(
      /matches 2 recorded deployments/,
    );
    expect(() => chooseRollback([], 'dev')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it('a deployment is known by its templates and parameters', () => {
    const root = tempDir('shipshape-history-id-');
    const one = fakeSynth(join(root, 'one'), '{"Resources":{}}');
    const two = fakeSynth(join(root, 'two'), '{"Resources":{"X":{}}}');
    const p = { 'shop-dev:ImageTagApi': 'sha-a' };
    expect(deploymentId(one, p)).toMatch(/^[0-9a-f]{12}$/);
    expect(deploymentId(one, p)).toBe(
      deploymentId(fakeSynth(join(root, 'again'), '{"Resources":{}}'), { ...p }),
    );
    expect(deploymentId(two, p)).not.toBe(deploymentId(one, p));
    expect(deploymentId(one, { 'shop-dev:ImageTagApi': 'sha-b' })).not.toBe(deploymentId(one, p));
  });

  it('deploy records successes with their assembly; a failure keeps the history; report still reads the last outcome', () => {
    const projectDir = tempDir('shipshape-history-record-');
    const app = { projectDir, x: { environment: 'dev' } } as Parameters<typeof lastDeployment>[0];
    const synthA = fakeSynth(join(projectDir, 'tmp-a'), '{"Resources":{}}');
    recordDeployment(app, record('DEPLOYED', '2026-12-01T10:00:00.000Z'), {
      synth: synthA,
      parameters: { 'shop-dev:ImageTagApi': 'sha-a' },
    });
    recordDeployment(app, record('DEPLOYED', '2026-12-01T11:00:00.000Z', 'sha-b'), {
      synth: fakeSynth(join(projectDir, 'tmp-b'), '{"Resources":{}}'),
      parameters: { 'shop-dev:ImageTagApi': 'sha-b' },
    });
    recordDeployment(app, record('FAILED', '2026-12-01T12:00:00.000Z', 'sha-c'));
    const { history, assemblies, file } = deploymentHistory(app, 'dev');
    expect(history.map((e) => e.parameters['shop-dev:ImageTagApi'])).toEqual(['sha-b', 'sha-a']);
    expect(readdirSync(assemblies).sort()).toEqual(history.map((e) => e.id).sort());
    // The top of the file is still the last outcome, as report reads it.
    expect(lastDeployment(app)).toMatchObject({
      status: 'FAILED',
      error: 'api did not reach a steady state',
    });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ status: 'FAILED', history: [{}, {}] });
    // The stored assembly deploys again from a copy, its paths rebased.
    const stored = recordedAssembly(assemblies, history[1]!, file);
    const copy = copyRecordedAssembly(stored, join(projectDir, 'redeploy', 'cdk.out'));
    expect(copy.stacks[0]!.templateFile).toBe(
      join(projectDir, 'redeploy', 'cdk.out', 'Shared.template.json'),
    );
    expect(readFileSync(copy.stacks[0]!.templateFile, 'utf8')).toBe('{"Resources":{}}');
    expect(copy.imageSlots).toEqual(synthA.imageSlots);
    expect(existsSync(join(copy.outdir, 'manifest.json'))).toBe(true);
  });

  it('old single-record files still read, and the first new deployment starts a history on top', () => {
    const projectDir = tempDir('shipshape-history-old-');
    const app = { projectDir, x: { environment: 'dev' } } as Parameters<typeof lastDeployment>[0];
    mkdirSync(join(projectDir, '.shipshape', 'deploy'), { recursive: true });
    writeFileSync(
      join(projectDir, '.shipshape', 'deploy', 'dev.json'),
      JSON.stringify(record('DEPLOYED', '2026-11-20T10:00:00.000Z')),
    );
    expect(deploymentHistory(app, 'dev').history).toEqual([]);
    expect(lastDeployment(app)).toMatchObject({ status: 'DEPLOYED', time: '2026-11-20T10:00:00.000Z' });
    recordDeployment(app, record('DEPLOYED', '2026-12-01T10:00:00.000Z'), {
      synth: fakeSynth(join(projectDir, 'tmp'), '{}'),
      parameters: {},
    });
    expect(deploymentHistory(app, 'dev').history).toHaveLength(1);
    expect(() => chooseRollback(deploymentHistory(app, 'dev').history, 'dev')).toThrow(
      /nothing to roll back to/,
    );
  });

  it('history beyond the bound takes its stored assembly with it', () => {
    const projectDir = tempDir('shipshape-history-prune-');
    const app = { projectDir, x: { environment: 'dev' } } as Parameters<typeof lastDeployment>[0];
    for (let i = 0; i < HISTORY_LIMIT + 2; i++) {
      recordDeployment(
        app,
        record('DEPLOYED', `2026-12-01T10:00:${String(i).padStart(2, '0')}.000Z`, `sha-${i}`),
        {
          synth: fakeSynth(join(projectDir, `tmp-${i}`), '{}'),
          parameters: { 'shop-dev:ImageTagApi': `sha-${i}` },
        },
      );
    }
    const { history, assemblies } = deploymentHistory(app, 'dev');
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(readdirSync(assemblies)).toHaveLength(HISTORY_LIMIT);
    expect(() => recordedAssembly(assemblies, entry('0123456789ab', 'x'), 'dev.json')).toThrow(/are missing/);
  });

  it('rollback shows which image tags change, and reads registry references', () => {
    expect(parameterChanges(entry('b', '2', 'sha-b'), entry('a', '1', 'sha-a'))).toEqual([
      { parameter: 'shop-dev:ImageTagApi', from: 'sha-b', to: 'sha-a' },
    ]);
    expect(parseReference('127.0.0.1:5000/web-api-dev/api:sha-0123')).toEqual({
      host: '127.0.0.1:5000',
      repository: 'web-api-dev/api',
      tag: 'sha-0123',
    });
    expect(
      parseReference('123456789012.dkr.ecr.us-east-1.amazonaws.com/web-api-dev/web:sha-1'),
    ).toMatchObject({
      host: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
      repository: 'web-api-dev/web',
    });
    expect(parseReference('nginx:1.27')).toBeUndefined();
  });
});
