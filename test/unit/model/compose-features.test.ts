/**
 * Compose features, each checked against what the Compose Specification says
 * (https://github.com/compose-spec/compose-spec, spec.md, merge.md, interpolation.md, ...).
 */
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import type { ServiceModel } from '../../../src/model/types.js';
import { composeDir } from '../../support/compose-dir.js';

const load = (
  files: Record<string, string>,
  opts: { env?: Record<string, string>; profiles?: string[]; files?: string[]; environment?: string } = {},
) => {
  const cwd = composeDir(files);
  return loadApp(opts.files ?? [], {
    cwd,
    env: opts.env ?? {},
    profiles: opts.profiles,
    environment: opts.environment,
  });
};
const svc = (app: ReturnType<typeof loadApp>, name: string): ServiceModel => {
  const s = app.services.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name}`);
  return s;
};

describe('compose features', () => {
  it('merges several -f files in order: scalars override, env merges by key, ports append (merge.md)', () => {
    const app = load(
      {
        'compose.yaml':
          'services:\n  web:\n    image: web:1\n    ports: ["8080:80"]\n    environment: { A: "1", B: "1" }\n    command: ["a", "b"]\n',
        'prod.yaml':
          'services:\n  web:\n    image: web:2\n    ports: ["8443:443"]\n    environment: [B=2, C=3]\n    command: ["c"]\n',
      },
      { files: ['compose.yaml', 'prod.yaml'] },
    );
    const web = svc(app, 'web');
    expect(web.image).toBe('web:2');
    expect(web.environment).toEqual({ A: '1', B: '2', C: '3' });
    expect(web.ports.map((p) => p.target)).toEqual([80, 443]);
    expect(web.command).toEqual(['c']); // sequences like command are replaced, not appended
  });

  it('reads compose.override.yaml automatically after compose.yaml', () => {
    const app = load({
      'compose.yaml': 'services:\n  web:\n    image: web:1\n',
      'compose.override.yaml': 'services:\n  web:\n    user: "1000"\n',
    });
    expect(app.files.map((f) => f.split('/').pop())).toEqual(['compose.yaml', 'compose.override.yaml']);
    expect(svc(app, 'web').user).toBe('1000');
  });

  it('interpolates from .env, with the shell environment taking precedence (environment-variables precedence)', () => {
    const app = load(
      {
        'compose.yaml': 'services:\n  web:\n    image: "app:${TAG}"\n    user: "${UID_}"\n',
        '.env': 'TAG=from-dotenv\nUID_=1000\n',
      },
      { env: { TAG: 'from-shell' } },
    );
    expect(svc(app, 'web').image).toBe('app:from-shell');
    expect(svc(app, 'web').user).toBe('1000');
  });

  it('distinguishes ${VAR:-default} (unset or empty) from ${VAR-default} (unset only)', () => {
    const app = load(
      {
        'compose.yaml':
          'services:\n  web:\n    image: x\n    environment:\n      A: "${EMPTY:-d1}"\n      B: "${EMPTY-d2}"\n      C: "${UNSET-d3}"\n      D: "${SET:+alt}"\n',
      },
      { env: { EMPTY: '', SET: 'yes' } },
    );
    expect(svc(app, 'web').environment).toEqual({ A: 'd1', B: '', C: 'd3', D: 'alt' });
  });

  it('fails on ${VAR:?message} with the message and the location of the value', () => {
    const dir = composeDir({
      'compose.yaml': 'services:\n  web:\n    image: "app:${TAG:?set TAG to the release}"\n',
    });
    expect(() => loadApp([], { cwd: dir, env: {} })).toThrowError(
      expect.objectContaining({
        message: expect.stringContaining('set TAG to the release'),
        path: 'services.web.image',
        location: expect.objectContaining({ line: 3, column: 12 }),
        exitCode: 2,
      }),
    );
  });

  it('keeps $$ as a literal dollar sign', () => {
    const app = load({
      'compose.yaml': 'services:\n  web:\n    image: x\n    command: ["echo", "$$HOME"]\n',
    });
    expect(svc(app, 'web').command).toEqual(['echo', '$HOME']);
  });

  it('resolves YAML anchors and merge keys', () => {
    const app = load({
      'compose.yaml':
        'x-base: &base\n  image: base:1\n  restart: always\n  environment: { A: "1" }\nservices:\n  a:\n    <<: *base\n  b:\n    <<: *base\n    image: b:1\n',
    });
    expect(svc(app, 'a')).toMatchObject({ image: 'base:1', restart: 'always', environment: { A: '1' } });
    expect(svc(app, 'b')).toMatchObject({ image: 'b:1', restart: 'always' });
  });

  it('resolves extends from the same file and from another file, inheriting depends_on (compose-go extends.go)', () => {
    const app = load({
      'compose.yaml':
        'services:\n  db:\n    image: postgres:16\n  base:\n    image: base:1\n    environment: { A: "1" }\n    depends_on: [db]\n  web:\n    extends: base\n    environment: { B: "2" }\n  worker:\n    extends: { file: common.yaml, service: job }\n',
      'common.yaml': 'services:\n  job:\n    build: ./job\n    user: "1000"\n',
    });
    expect(svc(app, 'web')).toMatchObject({
      image: 'base:1',
      environment: { A: '1', B: '2' },
      dependsOn: [{ service: 'db', condition: 'service_started', required: true, restart: false }],
    });
    const worker = svc(app, 'worker');
    expect(worker.user).toBe('1000');
    expect(worker.build?.context).toBe(`${app.projectDir}/job`);
  });

  it('applies profiles: services with profiles start only when one is enabled', () => {
    const files = {
      'compose.yaml': 'services:\n  web:\n    image: x\n  debug:\n    image: y\n    profiles: [debug]\n',
    };
    expect(load(files).services.map((s) => s.name)).toEqual(['web']);
    expect(load(files, { profiles: ['debug'] }).services.map((s) => s.name)).toEqual(['web', 'debug']);
  });

  it('parses short port syntax: host IP, ranges, protocol, container-only', () => {
    const app = load({
      'compose.yaml':
        'services:\n  web:\n    image: x\n    ports: ["127.0.0.1:8080:80", "9000-9001:3000-3001/udp", "5000", 6000]\n',
    });
    expect(svc(app, 'web').ports).toEqual([
      { target: 80, published: 8080, hostIp: '127.0.0.1', protocol: 'tcp' },
      { target: 3000, published: 9000, hostIp: undefined, protocol: 'udp' },
      { target: 3001, published: 9001, hostIp: undefined, protocol: 'udp' },
      { target: 5000, published: undefined, hostIp: undefined, protocol: 'tcp' },
      { target: 6000, published: undefined, hostIp: undefined, protocol: 'tcp' },
    ]);
  });

  it('parses long port syntax', () => {
    const app = load({
      'compose.yaml':
        'services:\n  web:\n    image: x\n    ports:\n      - target: 80\n        published: "8080"\n        host_ip: 127.0.0.1\n        protocol: tcp\n        mode: host\n',
    });
    expect(svc(app, 'web').ports).toEqual([
      { target: 80, published: 8080, hostIp: '127.0.0.1', protocol: 'tcp' },
    ]);
  });

  it("collects expose ports into the service ports; the image's well-known port is one it listens on", () => {
    const app = load({
      'compose.yaml':
        'services:\n  api:\n    image: x\n    expose: ["5000", "6000/tcp"]\n  db:\n    image: postgres:16-alpine\n',
    });
    expect(svc(app, 'api').expose).toEqual([5000, 6000]);
    expect(svc(app, 'db').servicePorts).toEqual([]);
    expect(svc(app, 'db').intent.listenPorts).toEqual([5432]);
  });

  it('reads deploy.replicas and deploy.resources with cpu and memory units', () => {
    const app = load({
      'compose.yaml':
        'services:\n  web:\n    image: x\n    deploy:\n      replicas: 3\n      resources:\n        limits: { cpus: "0.5", memory: 128M, pids: 100 }\n        reservations: { memory: 64m }\n',
    });
    expect(svc(app, 'web').replicas).toBe(3);
    expect(svc(app, 'web').resources).toEqual({
      limits: { cpus: 0.5, memoryBytes: 128 * 1024 * 1024, pids: 100 },
      reservations: { memoryBytes: 64 * 1024 * 1024 },
    });
  });

  it('normalizes healthchecks: string test is CMD-SHELL, durations, defaults, disable', () => {
    const app = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    healthcheck: { test: "curl -f http://localhost/", interval: 1m30s, start_period: 500ms }\n  b:\n    image: x\n    healthcheck: { disable: true }\n',
    });
    expect(svc(app, 'a').healthcheck).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost/'],
      intervalMs: 90_000,
      timeoutMs: 30_000,
      retries: 3,
      startPeriodMs: 500,
      disabled: false,
    });
    expect(svc(app, 'b').healthcheck?.disabled).toBe(true);
  });

  it('reads depends_on as a list (service_started) and as a map with conditions', () => {
    const app = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on:\n      c: { condition: service_healthy, restart: true }\n      d: { condition: service_completed_successfully, required: false }\n  c:\n    image: x\n  d:\n    image: x\n',
    });
    expect(svc(app, 'a').dependsOn).toEqual([
      { service: 'b', condition: 'service_started', required: true, restart: false },
    ]);
    expect(svc(app, 'b').dependsOn).toEqual([
      { service: 'c', condition: 'service_healthy', required: true, restart: true },
      { service: 'd', condition: 'service_completed_successfully', required: false, restart: false },
    ]);
  });

  it('reads environment as list or map; a bare name takes its value from the shell or is left out', () => {
    const app = load(
      {
        'compose.yaml':
          'services:\n  a:\n    image: x\n    environment: [A=1, FROM_SHELL, NOT_SET, "B=x=y"]\n',
      },
      { env: { FROM_SHELL: 'hi' } },
    );
    expect(svc(app, 'a').environment).toEqual({ A: '1', FROM_SHELL: 'hi', B: 'x=y' });
  });

  it('loads env_file entries in order, with environment winning, and skips optional missing files', () => {
    const app = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    env_file: [a.env, { path: missing.env, required: false }, b.env]\n    environment: { C: "from-compose" }\n',
      'a.env': 'A=1\nB=1\nC=1\n',
      'b.env': '# comment\nB=2\n',
    });
    expect(svc(app, 'a').environment).toEqual({ A: '1', B: '2', C: 'from-compose' });
  });

  it('reads secrets (short and long syntax) and resolves secret files', () => {
    const app = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    secrets: [db_pass, { source: api_key, target: key.txt }]\nsecrets:\n  db_pass: { file: ./db_pass.txt }\n  api_key: { environment: API_KEY }\n',
      'db_pass.txt': 'hunter2',
    });
    expect(svc(app, 'a').secrets).toEqual([
      { source: 'db_pass', target: '/run/secrets/db_pass' },
      { source: 'api_key', target: '/run/secrets/key.txt' },
    ]);
    expect(app.secrets.find((s) => s.name === 'db_pass')?.file).toBe(`${app.projectDir}/db_pass.txt`);
  });

  it('reads build as a string or an object with dockerfile, args and target', () => {
    const app = load(
      {
        'compose.yaml':
          'services:\n  a:\n    build: ./a\n  b:\n    build:\n      context: ./b\n      dockerfile: Dockerfile.prod\n      args: [VERSION=1, FROM_ENV]\n      target: runtime\n',
      },
      { env: { FROM_ENV: 'e' } },
    );
    expect(svc(app, 'a').build).toEqual({
      context: `${app.projectDir}/a`,
      dockerfile: 'Dockerfile',
      args: {},
      target: undefined,
    });
    expect(svc(app, 'b').build).toEqual({
      context: `${app.projectDir}/b`,
      dockerfile: 'Dockerfile.prod',
      args: { VERSION: '1', FROM_ENV: 'e' },
      target: 'runtime',
    });
  });

  it('reads user, read_only, cap_add and cap_drop', () => {
    const app = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    user: "1000:1000"\n    read_only: false\n    cap_add: [NET_BIND_SERVICE]\n    cap_drop: [ALL]\n',
    });
    expect(svc(app, 'a')).toMatchObject({
      user: '1000:1000',
      readOnly: false,
      capAdd: ['NET_BIND_SERVICE'],
      capDrop: ['ALL'],
    });
    expect(load({ 'compose.yaml': 'services:\n  a:\n    image: x\n' }).services[0]!.readOnly).toBeUndefined();
  });

  it('reads networks and volumes, short and long, and declared top-level objects', () => {
    const app = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    networks: [front, back]\n    volumes: ["data:/var/lib/data", "./conf:/etc/conf:ro", { type: tmpfs, target: /cache }, /anon]\nnetworks:\n  front: {}\n  back: { internal: true }\nvolumes:\n  data: {}\n',
    });
    const a = svc(app, 'a');
    expect(a.networks).toEqual(['front', 'back']);
    expect(a.volumes).toEqual([
      { type: 'volume', source: 'data', target: '/var/lib/data', readOnly: false },
      { type: 'bind', source: `${app.projectDir}/conf`, target: '/etc/conf', readOnly: true },
      { type: 'tmpfs', source: undefined, target: '/cache', readOnly: false },
      { type: 'volume', target: '/anon', readOnly: false },
    ]);
    expect(app.networks.find((n) => n.name === 'back')?.internal).toBe(true);
  });

  it('builds the traffic graph: published ports are public, depends_on and allow-from grant calls', () => {
    const app = load({
      'compose.yaml':
        'services:\n  web:\n    image: x\n    ports: ["80:8080"]\n    depends_on: [api]\n  api:\n    image: x\n    expose: ["5000"]\n    x-shipshape: { allow-from: [worker] }\n  worker:\n    image: x\n  admin:\n    image: x\n    expose: ["9000"]\n    x-shipshape: { public: true }\n',
    });
    expect(app.services.filter((s) => s.public).map((s) => s.name)).toEqual(['web', 'admin']);
    const edges = app.traffic.edges.map(({ evidence, ...e }) => ({
      ...e,
      found: evidence.map((x) => x.path),
    }));
    expect(edges).toEqual([
      {
        from: '(internet)',
        to: 'web',
        ports: [8080],
        protocol: 'tcp',
        reason: 'published',
        declared: true,
        found: [],
      },
      {
        from: '(internet)',
        to: 'admin',
        ports: [9000],
        protocol: 'tcp',
        reason: 'public',
        declared: true,
        found: [],
      },
      {
        from: 'web',
        to: 'api',
        ports: [5000],
        protocol: 'tcp',
        reason: 'depends_on',
        portsReason: 'no port named: the ports api listens on (compose 5000)',
        declared: true,
        found: ['services.web.depends_on.api'],
      },
      {
        from: 'worker',
        to: 'api',
        ports: [5000],
        protocol: 'tcp',
        reason: 'allow-from',
        portsReason: 'no port named: the ports api listens on (compose 5000)',
        declared: true,
        found: ['services.api.x-shipshape.allow-from[0]'],
      },
    ]);
  });

  it('reads the x-shipshape extension with its defaults', () => {
    const app = load({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    x-shipshape:\n      health-path: /healthz\n      scaling: { min: 1, max: 4 }\nx-shipshape:\n  name: shop\n  tags: { team: payments, cost-center: 42 }\n  aws: { region: eu-west-1, nat: none }\n',
    });
    expect(app.name).toBe('shop');
    expect(app.x).toEqual({
      tags: { team: 'payments', 'cost-center': '42' },
      environment: 'dev',
      environments: [],
      aws: {
        region: 'eu-west-1',
        account: undefined,
        nat: 'none',
        certificateArn: undefined,
        domain: undefined,
        hostedZone: undefined,
        cloudMapNamespace: undefined,
        logRetentionDays: 30,
      },
      acknowledge: [],
      location: expect.objectContaining({ line: 8 }),
    });
    expect(svc(app, 'a').x).toMatchObject({
      healthPath: '/healthz',
      scaling: { min: 1, max: 4, targetCpuPercent: 60 },
    });
  });

  it('selects an environment: its aws settings over the top level, its profile, and the region from AWS_REGION', () => {
    const files = {
      'compose.yaml':
        'services:\n  a:\n    image: x\nx-shipshape:\n  name: shop\n  aws: { log-retention-days: 7 }\n  environments:\n    live:\n      profile: prod\n      aws: { nat: per-az, account: "123456789012" }\n',
    };
    const live = load(files, { environment: 'live', env: { AWS_REGION: 'eu-central-1' } });
    expect(live.x).toMatchObject({ environment: 'live', profile: 'prod', environments: ['live'] });
    expect(live.x.aws).toMatchObject({
      region: 'eu-central-1',
      nat: 'per-az',
      account: '123456789012',
      logRetentionDays: 7,
    });
    expect(live.x.location.line).toBe(9);
    const dev = load(files, { env: {} });
    expect(dev.x).toMatchObject({ environment: 'dev', aws: { region: 'us-east-1', logRetentionDays: 7 } });
    expect(dev.x.profile).toBeUndefined();
    expect(dev.x.aws.nat).toBeUndefined();
    expect(() => load(files, { environment: 'no_such!', env: {} })).toThrow(
      /environment name "no_such!" is not valid/,
    );
  });

  it('accepts acknowledgements of every unsafe rule synth gates on, and rejects unknown rules', () => {
    const ack = (rule: string) =>
      `services:\n  a:\n    image: x\n    cap_add: [NET_ADMIN]\n    x-shipshape:\n      acknowledge:\n        - { rule: ${rule}, reason: "needed by the VPN sidecar" }\n`;
    for (const rule of ['privileged', 'host-network', 'plain-secret', 'root-user', 'added-capability']) {
      expect(load({ 'compose.yaml': ack(rule) }).services[0]!.x.acknowledge).toEqual([
        { rule, reason: 'needed by the VPN sidecar' },
      ]);
    }
    const dir = composeDir({ 'compose.yaml': ack('everything') });
    expect(() => loadApp([], { cwd: dir, env: {} })).toThrowError(
      expect.objectContaining({ path: 'services.a.x-shipshape.acknowledge[0].rule', exitCode: 2 }),
    );
  });

  it('warns about unknown keys, with a suggestion, and ignores them', () => {
    const app = load({ 'compose.yaml': 'services:\n  a:\n    image: x\n    enviroment: { A: "1" }\n' });
    expect(app.warnings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: 'services.a.enviroment',
        hint: 'did you mean "environment"?',
        location: expect.objectContaining({ line: 4, column: 5 }),
      }),
    ]);
  });
});
