/**
 * shipshape's loader next to Debian's docker-compose 1.29 (`docker-compose config`, no engine
 * needed), field by field, wherever 1.29 implements the same part of the Compose Specification.
 * Where 1.29 is outdated, the specification decides, and the test says so and shows 1.29's
 * different answer. Skips, saying why, only when the docker-compose binary is missing.
 */
import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import type { ServiceModel } from '../../../src/model/types.js';
import { composeDir } from '../../support/compose-dir.js';
import { yaml } from '../../support/conformance.js';
import {
  dockerComposeConfig,
  dockerComposeVersion,
  v1Argv,
  v1Environment,
  v1Ports,
  v1Volumes,
  type V1Service,
} from '../../support/docker-compose-v1.js';

const version = dockerComposeVersion();
const title = version
  ? `docker-compose ${version} comparison`
  : 'docker-compose 1.29 comparison (skipped: no docker-compose binary on PATH; scripts/dev-env.sh installs it)';

interface Case {
  files: Record<string, string>;
  composeFiles?: string[];
  env?: Record<string, string>;
  envFile?: string;
}

/** Load the same project with both; return each one's services by name. */
async function both(
  c: Case,
): Promise<{ ours: Map<string, ServiceModel>; v1: Record<string, V1Service>; dir: string }> {
  const dir = composeDir(c.files);
  const app = loadApp(c.composeFiles ?? [], { cwd: dir, env: c.env ?? {}, envFile: c.envFile });
  const v1 = await dockerComposeConfig(dir, { files: c.composeFiles, env: c.env, envFile: c.envFile });
  if (!v1.services) throw new Error(`docker-compose config failed: ${v1.error}`);
  return { ours: new Map(app.services.map((s) => [s.name, s])), v1: v1.services, dir };
}

/** The fields both implement, from our model and from 1.29's output. */
function compareService(ours: ServiceModel, v1: V1Service): void {
  expect(ours.image, 'image').toBe(
    v1.image === undefined ? undefined : String(v1.image).replace(/\$\$/g, '$'),
  );
  expect(ours.environment, 'environment').toEqual(v1Environment(v1));
  expect(ours.ports, 'ports').toEqual(v1Ports(v1));
  expect(ours.volumes, 'volumes').toEqual(v1Volumes(v1));
  expect(ours.command, 'command').toEqual(v1Argv(v1.command));
  expect(ours.entrypoint, 'entrypoint').toEqual(v1Argv(v1.entrypoint));
  expect(ours.user, 'user').toBe(v1.user === undefined ? undefined : String(v1.user));
  expect(ours.labels, 'labels').toEqual(v1.labels ?? {});
  const build = v1.build as { context: string; target?: string; args?: Record<string, string> } | undefined;
  expect(ours.build?.context, 'build.context').toBe(build?.context);
  expect(ours.build?.target, 'build.target').toBe(build?.target);
  const deps = (v1.depends_on ?? {}) as Record<string, { condition: string }>;
  expect(
    ours.dependsOn.map((d) => [d.service, d.condition]),
    'depends_on',
  ).toEqual(Object.entries(deps).map(([s, d]) => [s, d.condition]));
}

async function compareAll(c: Case): Promise<void> {
  const { ours, v1 } = await both(c);
  expect([...ours.keys()].sort()).toEqual(Object.keys(v1).sort());
  for (const [name, svc] of ours) compareService(svc, v1[name]!);
}

describe.skipIf(!version)(title, () => {
  it('every short-syntax port example of 05-services.md#ports, one service each', async () => {
    const examples = [
      '"3000"',
      '"3000-3005"',
      '"8000:8000"',
      '"9090-9091:8080-8081"',
      '"49100:22"',
      '"8000-9000:80"',
      '"127.0.0.1:8001:8001"',
      '"127.0.0.1:5000-5010:5000-5010"',
      '"::1:6000:6000"',
      '"[::1]:6001:6001"',
      '"6060:6060/udp"',
    ];
    await compareAll({
      files: {
        'compose.yaml': yaml('services:', ...examples.map((p, i) => `  s${i}: { image: x, ports: [${p}] }`)),
      },
    });
  });

  it('13-merge.md: two files — scalars, environment by key, ports appended, command replaced, volumes by target', async () => {
    await compareAll({
      files: {
        'compose.yaml': yaml(
          'services:',
          '  web:',
          '    image: web:1',
          '    command: ["a", "b"]',
          '    ports: ["8080:80"]',
          '    environment: { A: "1", B: "1" }',
          '    volumes: ["data:/data", "./logs:/logs"]',
          '    labels: { l: a }',
          '    depends_on: [db]',
          '  db: { image: pg }',
          'volumes: { data: {}, other: {} }',
        ),
        'prod.yaml': yaml(
          'services:',
          '  web:',
          '    image: web:2',
          '    command: c',
          '    ports: ["8443:443"]',
          '    environment: [B=2, C=3]',
          '    volumes: ["other:/data"]',
          '    labels: [l=b, m=c]',
          '    depends_on: { db: { condition: service_healthy } }',
        ),
      },
      composeFiles: ['compose.yaml', 'prod.yaml'],
    });
  });

  it('an override file in another directory: its relative paths resolve against the project directory', async () => {
    await compareAll({
      files: {
        'compose.yaml': yaml('services:', '  web: { build: ./app }'),
        'app/Dockerfile': 'FROM scratch\n',
        'other/Dockerfile': 'FROM scratch\n',
        'sub/override.yaml': yaml(
          'services:',
          '  web:',
          '    build: { context: ./other, target: dev }',
          '    env_file: ./vars.env',
          '    volumes: ["./data:/data"]',
        ),
        'vars.env': 'X=1\n',
      },
      composeFiles: ['compose.yaml', 'sub/override.yaml'],
    });
  });

  it('extends in the same file and from a file in another directory (its own relative paths)', async () => {
    await compareAll({
      files: {
        'compose.yaml': yaml(
          'services:',
          '  common: { image: busybox, environment: { TZ: utc, PORT: 80 }, security_opt: ["label:role:ROLE"] }',
          '  cli: { extends: { service: common }, environment: { PORT: 8080 } }',
          '  api:',
          '    extends: { file: common/base.yaml, service: base }',
          '    build: { target: dev }',
        ),
        'common/base.yaml': yaml(
          'services:',
          '  base:',
          '    build: ./ctx',
          '    volumes: ["./data:/data"]',
          '    env_file: base.env',
        ),
        'common/ctx/Dockerfile': 'FROM scratch\n',
        'common/base.env': 'FROM_BASE=1\n',
      },
    });
  });

  // 1.29 predates ${VAR:+alt}: that form is checked against the specification in interpolation.test.ts.
  it('12-interpolation.md: defaults, required with a value, $$, .env under the shell environment', async () => {
    await compareAll({
      files: {
        'compose.yaml': yaml(
          'services:',
          '  web:',
          '    image: "${REG:-reg}/web:${TAG-latest}"',
          '    user: "${USER_ID:?set it}"',
          '    environment:',
          '      A: "${EMPTY:-d}"',
          '      B: "${EMPTY-d}"',
          '      D: "$$LITERAL"',
          '      E: "${FROM_DOTENV}-${FROM_BOTH}"',
        ),
        '.env': 'FROM_DOTENV=dotenv\nFROM_BOTH=dotenv\n',
      },
      env: { EMPTY: '', SET: 'x', USER_ID: '1000', FROM_BOTH: 'shell' },
    });
  });

  it('--env-file replaces .env', async () => {
    await compareAll({
      files: {
        'compose.yaml': yaml('services:', '  web: { image: "app:${TAG}" }'),
        '.env': 'TAG=dotenv\n',
        'prod.env': 'TAG=prod\n',
      },
      envFile: 'prod.env',
    });
  });

  it('env_file format: comments, quotes, escapes, inline comments, interpolation, inheritance', async () => {
    await compareAll({
      files: {
        'compose.yaml': yaml('services:', '  web:', '    image: x', '    env_file: a.env'),
        'a.env': [
          '# comment',
          'A=VAL # comment',
          'UQ=val# x',
          'Q1="VAL # not a comment"',
          'Q2="VAL" # comment',
          "S1='$OTHER'",
          "S3='Let\\'s go!'",
          'J="{\\"hello\\": \\"json\\"}"',
          'T1="some\\tvalue"',
          "T2='some\\tvalue'",
          'T3=some\\tvalue',
          'BASE=/srv',
          'I1=${BASE}/a',
          'I2="${BASE}/b"',
          'EMPTY=',
          'export EX=1',
          'INH',
          '',
        ].join('\n'),
      },
      env: { OTHER: 'o', INH: 'inherited' },
    });
  });

  it('environment over env_file; a bare name takes the shell value or is left out', async () => {
    await compareAll({
      files: {
        'compose.yaml': yaml(
          'services:',
          '  web:',
          '    image: x',
          '    env_file: [a.env, b.env]',
          '    environment: [OVER=env, FROM_SHELL, NOT_SET, EMPTY=]',
        ),
        'a.env': 'A=a\nB=a\nOVER=file\n',
        'b.env': 'B=b\n',
      },
      env: { FROM_SHELL: 'sh' },
    });
  });

  it('volumes: named, relative, absolute, ~, anonymous, read-only', async () => {
    const { ours, v1 } = await both({
      files: {
        'compose.yaml': yaml(
          'services:',
          '  web: { image: x, volumes: ["data:/data:ro", "./conf:/etc/conf", "/abs:/abs", "~/cache:/cache", "/anon"] }',
          'volumes: { data: {} }',
        ),
      },
      env: { HOME: homedir() },
    });
    expect(ours.get('web')!.volumes).toEqual(v1Volumes(v1.web!));
  });

  it('string commands and entrypoints split like shlex would for plain words and quotes', async () => {
    await compareAll({
      files: {
        'compose.yaml': yaml(
          'services:',
          '  a: { image: x, command: bundle exec thin -p 3000 }',
          `  b: { image: x, command: "/bin/sh -c 'echo \\"hello $$HOSTNAME\\"'" }`,
          '  c: { image: x, entrypoint: /code/entrypoint.sh --flag "two words" }',
          '  d: { image: x, command: ["echo", "$$HOME"] }',
        ),
      },
    });
  });

  it('healthcheck, deploy resources and secrets read the same', async () => {
    const { ours, v1 } = await both({
      files: {
        'compose.yaml': yaml(
          'services:',
          '  web:',
          '    image: x',
          '    healthcheck: { test: "curl -f http://localhost/", interval: 1m30s, timeout: 5s, retries: 2 }',
          '    deploy: { replicas: 2, resources: { limits: { cpus: "0.5", memory: 128M } } }',
          '    secrets: [s1, { source: s2, target: key }]',
          'secrets: { s1: { file: ./s1.txt }, s2: { file: ./s1.txt } }',
        ),
        's1.txt': 'x',
      },
    });
    const web = ours.get('web')!;
    const hc = v1.web!.healthcheck as Record<string, unknown>;
    expect(web.healthcheck).toMatchObject({
      test: ['CMD-SHELL', hc.test],
      intervalMs: 90_000,
      timeoutMs: 5_000,
      retries: hc.retries,
    });
    expect(web.replicas).toBe((v1.web!.deploy as { replicas: number }).replicas);
    expect(web.resources.limits).toEqual({ cpus: 0.5, memoryBytes: 128 * 1024 * 1024 });
    expect(web.secrets.map((s) => s.source)).toEqual(
      (v1.web!.secrets as { source: string }[]).map((s) => s.source),
    );
  });

  // ---- Where docker-compose 1.29 is outdated: the Compose Specification decides. ----

  it('outdated in 1.29: a port written twice in one file (13-merge.md unique key) — 1.29 keeps both, the spec one', async () => {
    const { ours, v1 } = await both({
      files: { 'compose.yaml': yaml('services:', '  web: { image: x, ports: ["3000", "3000-3001"] }') },
    });
    expect(v1Ports(v1.web!).map((p) => p.target)).toEqual([3000, 3000, 3001]);
    expect(ours.get('web')!.ports.map((p) => p.target)).toEqual([3000, 3001]);
  });

  it('outdated in 1.29: nested interpolation ${A:-${B:-x}} (12-interpolation.md) — 1.29 leaves it half-expanded', async () => {
    const { ours, v1 } = await both({
      files: {
        'compose.yaml': yaml(
          'services:',
          '  web: { image: x, environment: { A: "${NESTED:-${INNER:-deep}}" } }',
        ),
      },
    });
    expect(v1Environment(v1.web!).A).not.toBe('deep');
    expect(ours.get('web')!.environment.A).toBe('deep');
  });

  it("outdated in 1.29: single-quoted env file values are literal (05-services.md#env_file-format) — 1.29 interpolates '${OTHER}'", async () => {
    const { ours, v1 } = await both({
      files: {
        'compose.yaml': yaml('services:', '  web: { image: x, env_file: a.env }'),
        'a.env': "S='${OTHER}'\n",
      },
      env: { OTHER: 'o' },
    });
    expect(v1Environment(v1.web!).S).toBe('o');
    expect(ours.get('web')!.environment.S).toBe('${OTHER}');
  });

  it('outdated in 1.29: extending a service with depends_on (05-services.md#extends has no such restriction) — 1.29 refuses', async () => {
    const files = {
      'compose.yaml': yaml(
        'services:',
        '  db: { image: pg }',
        '  base: { image: a, depends_on: [db] }',
        '  web: { extends: base }',
      ),
    };
    const dir = composeDir(files);
    expect((await dockerComposeConfig(dir)).error).toMatch(/cannot be extended/);
    expect(
      loadApp([], { cwd: dir, env: {} }).services.find((s) => s.name === 'web')!.dependsOn[0]?.service,
    ).toBe('db');
  });

  it('outdated in 1.29: !reset (13-merge.md#reset-value) and include (14-include.md) — 1.29 rejects both', async () => {
    const reset = composeDir({
      'compose.yaml': yaml('services:', '  web: { image: x, ports: ["80:80"] }'),
      'o.yaml': yaml('services:', '  web:', '    ports: !reset []'),
    });
    expect((await dockerComposeConfig(reset, { files: ['compose.yaml', 'o.yaml'] })).error).toMatch(/!reset/);
    expect(loadApp(['compose.yaml', 'o.yaml'], { cwd: reset, env: {} }).services[0]!.ports).toEqual([]);
    const include = composeDir({
      'compose.yaml': yaml('include: [sub.yaml]', 'services:', '  web: { image: x }'),
      'sub.yaml': yaml('services:', '  api: { image: y }'),
    });
    expect((await dockerComposeConfig(include)).error).toMatch(/include/);
    expect(
      loadApp([], { cwd: include, env: {} })
        .services.map((s) => s.name)
        .sort(),
    ).toEqual(['api', 'web']);
  });

  it('outdated in 1.29: a long-syntax published range "8083-9000" (05-services.md#ports) — 1.29 refuses it', async () => {
    const dir = composeDir({
      'compose.yaml': yaml(
        'services:',
        '  web: { image: x, ports: [{ target: 443, published: "8083-9000" }] }',
      ),
    });
    expect((await dockerComposeConfig(dir)).error).toMatch(/not a valid integer/);
    expect(loadApp([], { cwd: dir, env: {} }).services[0]!.ports).toEqual([
      { target: 443, published: 8083, publishedEnd: 9000, hostIp: undefined, protocol: 'tcp' },
    ]);
  });

  it('different from 1.29 by design: "a && b" — compose-go (today\'s docker compose) keeps only "a" and we warn; 1.29 passes "&&" as a word', async () => {
    const { ours, v1 } = await both({
      files: { 'compose.yaml': yaml('services:', '  web: { image: x, command: npm start && node w.js }') },
    });
    expect(v1Argv(v1.web!.command)).toEqual(['npm', 'start', '&&', 'node', 'w.js']);
    expect(ours.get('web')!.command).toEqual(['npm', 'start']);
  });
});
