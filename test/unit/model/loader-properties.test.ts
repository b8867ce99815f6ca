/**
 * Property: for any document — well-formed, schema-violating, or byte-mutated — the loader
 * returns an app model or throws a located ShipshapeError. Never a crash, never an unlocated error.
 * 10,000 documents in all (5,000 generated + 5,000 mutated).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ShipshapeError } from '../../../src/model/errors.js';
import { loadApp } from '../../../src/model/load.js';

const dir = mkdtempSync(join(tmpdir(), 'shipshape-prop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(join(dir, 'present.env'), 'A=1\n');

export const outcomes = { models: 0, errors: 0 };
function check(text: string): void {
  const file = join(dir, 'compose.yaml');
  writeFileSync(file, text);
  try {
    const app = loadApp([file], { cwd: dir, env: { SET: 'v', EMPTY: '' } });
    outcomes.models++;
    expect(app.services.length).toBeGreaterThan(0);
    for (const s of app.services) expect(typeof s.name).toBe('string');
  } catch (e) {
    if (!(e instanceof ShipshapeError)) {
      throw new Error(`loader crashed on:\n${text}\n${(e as Error).stack}`);
    }
    outcomes.errors++;
    expect(e.exitCode).toBe(2);
    expect(e.location?.file, `unlocated error "${e.message}" for:\n${text}`).toBe(file);
    expect(e.location!.line).toBeGreaterThanOrEqual(1);
    expect(e.location!.column).toBeGreaterThanOrEqual(1);
  }
}

const name = fc.constantFrom('web', 'api', 'db', 'worker', 'cache', 'bad name', '', 'x'.repeat(3));
const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer({ min: -5, max: 70_000 }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '${SET}',
    '${UNSET:-d}',
    '${UNSET:?needed}',
    '$$x',
    '${',
    '${EMPTY:+y}',
    '128M',
    '1m30s',
    '0.5',
  ),
);
const port = fc.oneof(
  fc.constantFrom(
    '80',
    '8080:80',
    '127.0.0.1:8080:80/tcp',
    '9000-9001:3000-3001',
    '[::1]:80:80',
    '80:',
    'a:b',
    '99999:80',
    '80/sctp',
  ),
  fc.integer({ min: -1, max: 70_000 }),
  fc.record({
    target: scalar,
    published: fc.option(scalar),
    protocol: fc.option(fc.constantFrom('tcp', 'udp', 'icmp')),
  }),
);
const service = fc.record(
  {
    image: fc.oneof(fc.constantFrom('node:20', 'postgres:16', 'app:${SET}'), scalar),
    build: fc.oneof(
      fc.constant('.'),
      fc.record({ context: fc.constant('.'), dockerfile: fc.option(fc.string()) }),
    ),
    ports: fc.array(port, { maxLength: 3 }),
    expose: fc.array(
      fc.oneof(fc.constantFrom('5000', '6000-6001', 'x'), fc.integer({ min: 0, max: 70_000 })),
      { maxLength: 2 },
    ),
    environment: fc.oneof(
      fc.dictionary(fc.constantFrom('A', 'B', 'C'), scalar),
      fc.array(fc.constantFrom('A=1', 'SET', 'B=${SET}')),
    ),
    env_file: fc.constantFrom(
      'present.env',
      'missing.env',
      ['present.env'],
      [{ path: 'missing.env', required: false }],
    ),
    depends_on: fc.oneof(
      fc.array(name, { maxLength: 2 }),
      fc.dictionary(
        name,
        fc.record({ condition: fc.constantFrom('service_started', 'service_healthy', 'nope') }),
      ),
    ),
    deploy: fc.record({
      replicas: fc.option(scalar),
      resources: fc.record({ limits: fc.record({ cpus: fc.option(scalar), memory: fc.option(scalar) }) }),
    }),
    healthcheck: fc.record({
      test: fc.oneof(
        fc.string(),
        fc.constant(['CMD', 'true']),
        fc.constant(['NONE']),
        fc.constant(['BOGUS']),
      ),
      interval: fc.option(scalar),
    }),
    user: scalar,
    read_only: fc.oneof(fc.boolean(), scalar),
    cap_add: fc.array(fc.constantFrom('NET_ADMIN', 'ALL'), { maxLength: 2 }),
    profiles: fc.array(fc.constantFrom('debug', 'prod'), { maxLength: 1 }),
    networks: fc.array(fc.constantFrom('default', 'front', 'undeclared'), { maxLength: 2 }),
    volumes: fc.array(fc.constantFrom('data:/data', './x:/x:ro', '/anon', 'nodecl:/y', ':'), {
      maxLength: 2,
    }),
    extends: fc.constantFrom('web', 'api', 'missing'),
    command: fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant('echo a && b')),
    'x-shipshape': fc.record(
      {
        public: fc.option(fc.boolean()),
        'health-path': fc.constantFrom('/', '/healthz', 'nope'),
        'allow-from': fc.array(name, { maxLength: 2 }),
        bogus: scalar,
      },
      { requiredKeys: [] },
    ),
    unknown_key: scalar,
  },
  { requiredKeys: [] },
);
const composeDoc = fc.record(
  {
    services: fc.dictionary(name, service, { minKeys: 0, maxKeys: 4 }),
    networks: fc.constantFrom({ front: {} }, { front: { internal: true } }, null),
    volumes: fc.constantFrom({ data: {} }, null),
    'x-shipshape': fc.record(
      {
        name: fc.constantFrom('shop', 'Bad Name'),
        tags: fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), scalar),
      },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: ['services'] },
);

/** Documents drawn mostly from valid values, so that the "model" outcome is well exercised too. */
const validService = (deps: string[]) =>
  fc.record(
    {
      image: fc.constantFrom('node:20', 'postgres:16', 'app:${SET}', 'redis:7'),
      ports: fc.array(fc.constantFrom('80', '8080:80', '127.0.0.1:8081:81/udp', 9000), { maxLength: 2 }),
      expose: fc.array(fc.constantFrom('5000', '6000-6001'), { maxLength: 2 }),
      environment: fc.oneof(
        fc.dictionary(fc.constantFrom('A', 'B'), fc.constantFrom('1', '${SET}', '${UNSET:-d}')),
        fc.constant(['A=1', 'SET']),
      ),
      depends_on: fc.oneof(
        fc.subarray(deps),
        fc.constant(Object.fromEntries(deps.map((d) => [d, { condition: 'service_started' }]))),
      ),
      deploy: fc.record(
        {
          replicas: fc.integer({ min: 0, max: 5 }),
          resources: fc.record({
            limits: fc.record({ cpus: fc.constantFrom('0.5', 1), memory: fc.constantFrom('128M', '1g') }),
          }),
        },
        { requiredKeys: [] },
      ),
      healthcheck: fc.record(
        { test: fc.constantFrom('true', ['CMD', 'true']), interval: fc.constantFrom('5s', '1m30s') },
        { requiredKeys: ['test'] },
      ),
      user: fc.constantFrom('1000', '1000:1000', 'node'),
      read_only: fc.boolean(),
      cap_add: fc.subarray(['NET_BIND_SERVICE', 'CHOWN']),
      'x-shipshape': fc.record(
        { public: fc.boolean(), 'health-path': fc.constantFrom('/', '/healthz') },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['image'] },
  );
const validDoc = fc.record({
  services: fc.record(
    { db: validService([]), api: validService(['db']), web: validService(['db', 'api']) },
    { requiredKeys: ['db'] },
  ),
  'x-shipshape': fc.record({
    name: fc.constantFrom('shop', 'web-api'),
    tags: fc.dictionary(fc.constantFrom('team', 'owner'), fc.constantFrom('a', 'b')),
  }),
});
const anyDoc = fc.oneof(validDoc, composeDoc);

const MUTATION_CHARS = [
  ':',
  '{',
  '}',
  '[',
  ']',
  '-',
  '$',
  '\t',
  '\n',
  '"',
  "'",
  '&',
  '*',
  '<<',
  ' ',
  '#',
  '|',
  '>',
];
const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('insert', 'delete', 'dupline', 'indent'),
  ch: fc.constantFrom(...MUTATION_CHARS),
});

function mutate(text: string, ms: { at: number; kind: string; ch: string }[]): string {
  let t = text;
  for (const m of ms) {
    const i = t.length === 0 ? 0 : m.at % t.length;
    if (m.kind === 'insert') t = t.slice(0, i) + m.ch + t.slice(i);
    else if (m.kind === 'delete') t = t.slice(0, i) + t.slice(i + 1);
    else {
      const lines = t.split('\n');
      const j = m.at % lines.length;
      if (m.kind === 'dupline') lines.splice(j, 0, lines[j] ?? '');
      else lines[j] = ` ${lines[j] ?? ''}`;
      t = lines.join('\n');
    }
  }
  return t;
}

describe('loader properties', () => {
  it('generated documents give a model or a located user error (1,500 runs)', () => {
    fc.assert(
      fc.property(anyDoc, (doc) => check(stringify(doc))),
      { numRuns: 1500 },
    );
  });

  it('byte-mutated documents give a model or a located user error (1,500 runs)', () => {
    fc.assert(
      fc.property(anyDoc, fc.array(mutation, { minLength: 1, maxLength: 4 }), (doc, ms) =>
        check(mutate(stringify(doc), ms)),
      ),
      { numRuns: 1500 },
    );
  });
});

afterAll(() => {
  // Both outcomes must be exercised, or the property says little.
  expect(outcomes.models).toBeGreaterThan(100);
  expect(outcomes.errors).toBeGreaterThan(100);
  console.log(`loader properties: ${outcomes.models} models, ${outcomes.errors} located errors`);
});
