/**
 * Attacks on input (docs/check.md, "What shipshape reads"): image references, UTF-8, inputs of the
 * wrong type, names that collide in the cloud, task sizes Fargate cannot give, a check that could
 * not judge what it was asked to, and a loader that stays linear in the size of the file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateCompose } from '../../../bench/compose-gen.js';
import { ShipshapeError } from '../../../src/model/errors.js';
import { invalidImageRef } from '../../../src/model/image-ref.js';
import { loadApp } from '../../../src/model/load.js';
import { runCheck } from '../../../src/policy/check.js';
import { gateFindings } from '../../../src/model/gate.js';
import { composeDir } from '../../support/compose-dir.js';

function loadError(dir: string, file?: string): ShipshapeError {
  try {
    loadApp(file ? [file] : [], { cwd: dir, env: {} });
  } catch (e) {
    expect(e).toBeInstanceOf(ShipshapeError);
    return e as ShipshapeError;
  }
  throw new Error('expected a located error');
}

describe('image references: the one parser validates them', () => {
  it('refuses what Docker would not pull, located at image:', () => {
    for (const image of [
      'Node:20 <script>',
      'UPPER/app:1',
      'app:',
      'x::y',
      'a/b@sha256:zz',
      '/app:1',
      'app:t@g',
    ])
      expect(invalidImageRef(image), image).toBeDefined();
    const e = loadError(composeDir({ 'compose.yaml': 'services:\n  web:\n    image: "Node:20 <script>"\n' }));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/not a valid image reference/);
    expect(e.location?.line).toBe(3);
  });

  it('accepts every reference of the grammar', () => {
    const component = fc.stringMatching(/^[a-z0-9]+([._-][a-z0-9]+){0,2}$/);
    const registry = fc.constantFrom(
      '',
      'ghcr.io/',
      'localhost:5000/',
      '127.0.0.1:5000/',
      'registry.example.com:443/',
    );
    const tag = fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { nil: undefined });
    const digest = fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: undefined });
    fc.assert(
      fc.property(
        registry,
        fc.array(component, { minLength: 1, maxLength: 3 }),
        tag,
        digest,
        (r, path, t, d) => {
          const ref = `${r}${path.join('/')}${t ? `:${t}` : ''}${d ? `@sha256:${d}` : ''}`;
          expect(invalidImageRef(ref), ref).toBeUndefined();
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('wrong inputs are located exit-2 errors', () => {
  it('a compose file that is not UTF-8, at its first bad byte', () => {
    const dir = composeDir({});
    writeFileSync(
      join(dir, 'compose.yaml'),
      Buffer.from('services:\n  web:\n    image: caf\xe9:1\n', 'latin1'),
    );
    const e = loadError(dir);
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/not UTF-8/);
    expect(e.location).toMatchObject({ line: 3, column: 15 });
  });

  it('a directory given as the compose file or as an env file', () => {
    const dir = composeDir({ 'sub/x': '' });
    expect(loadError(dir, join(dir, 'sub')).message).toMatch(/is not a file/);
    const env = composeDir({ 'compose.yaml': 'services:\n  web:\n    image: app:1\n', '.env/x': '' });
    expect(loadError(env).message).toMatch(/is not a file/);
  });
});

describe('the cloud refuses, located, what it cannot be', () => {
  it('service names that collide once made ECS and DNS names (a.b / a-b, Api / api)', () => {
    const app = loadApp([], {
      cwd: composeDir({
        'compose.yaml':
          'services:\n  a.b:\n    image: app:1\n  a-b:\n    image: app:1\n  Api:\n    image: app:1\n  api:\n    image: app:1\n',
      }),
      env: {},
    });
    expect(
      gateFindings(app)
        .filter((f) => f.rule === 'service-name')
        .map((f) => `${f.service} @${f.location?.line}`),
    ).toEqual(['a-b @5', 'api @9']);
  });

  it('cpus: 64 or memory: 200G is a refusal at the setting, not a crash', () => {
    const app = loadApp([], {
      cwd: composeDir({
        'compose.yaml':
          'services:\n  big:\n    image: app:1\n    user: "1000"\n    deploy:\n      resources:\n        limits:\n          cpus: "64"\n  fat:\n    image: app:1\n    user: "1000"\n    mem_limit: 200g\n',
      }),
      env: {},
    });
    const found = gateFindings(app).filter((f) => f.rule === 'fargate-unsupported');
    expect(found.map((f) => `${f.service} @${f.location?.line}`)).toEqual(['big @8', 'fat @12']);
    expect(found[0]!.message).toMatch(/largest is 16 vCPU/);
  });
});

describe('check never says "passed" about what it could not judge', () => {
  it('--only cloud while compose findings keep the app out of the cloud is incomplete', async () => {
    const app = loadApp([], {
      cwd: composeDir({ 'compose.yaml': 'services:\n  web:\n    image: app:1\n    privileged: true\n' }),
      env: {},
    });
    const r = await runCheck(app, { families: ['cloud'] });
    expect(r.findings).toEqual([]);
    expect(r.incomplete).toEqual([expect.stringMatching(/^the cloud templates were not judged/)]);
  });
});

describe('the loader is linear in the size of the file', () => {
  it('16× the services take far less than 16² the time (before the fix: 32×), and duplicate keys are still found', () => {
    const dir = composeDir({});
    mkdirSync(join(dir, 'api'));
    writeFileSync(join(dir, 'api', 'Dockerfile'), 'FROM node:20\nUSER node\n');
    const time = (bytes: number) => {
      const file = join(dir, `c${bytes}.yaml`);
      writeFileSync(file, generateCompose(bytes).text);
      let best = Infinity;
      for (let i = 0; i < 2; i++) {
        const t = performance.now();
        loadApp([file], { env: {} });
        best = Math.min(best, performance.now() - t);
      }
      return best;
    };
    const small = time(64 * 1024);
    const large = time(16 * 64 * 1024);
    expect(large / small, `${small.toFixed(0)} ms → ${large.toFixed(0)} ms`).toBeLessThan(20);
    writeFileSync(
      join(dir, 'dup.yaml'),
      'services:\n  a:\n    image: x:1\n  b:\n    image: x:1\n  a:\n    image: x:2\n',
    );
    const e = loadError(dir, join(dir, 'dup.yaml'));
    expect(e.message).toMatch(/Map keys must be unique/);
    expect(e.location?.line).toBe(6);
  });
});
