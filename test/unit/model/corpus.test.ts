import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import { runsAsRoot } from '../../../src/model/intent/index.js';
import { gateFindings } from '../../../src/model/gate.js';
import { cloudContainers } from '../../../src/model/intent/placement.js';
import { INTERNET, type AppModel } from '../../../src/model/types.js';

/**
 * The production intent of realistic compose apps (test/fixtures/apps, modelled on the patterns
 * of docker/awesome-compose and everyday repositories): who is public and on which protocol, where
 * the catch-all goes, who calls whom on which port (and why), who runs as root, how each secret
 * arrives, and what the cloud refuses.
 */
const load = (name: string): AppModel =>
  loadApp([], { cwd: new URL(`../../fixtures/apps/${name}/`, import.meta.url).pathname, env: {} });

interface Expected {
  /** `service: protocol/port …` of every public service. */
  entries: Record<string, string[]>;
  catchAll?: string;
  /** `from -> to:ports (reason)` of every call. */
  calls: string[];
  /** Services that run as root in the cloud (the model's one rule). */
  root: string[];
  /** `service: secret -> target [variables]`. */
  secrets?: string[];
  /** `service: rule` of every gate finding that is not acknowledged. */
  gate?: string[];
  /** Published ports that stay local debug ports: `service: port`. */
  debug?: string[];
  /** `service: engine version` of every datastore that becomes a managed service. */
  managed?: string[];
}

const CORPUS: Record<string, Expected> = {
  'web-cache': {
    entries: { web: ['http/5000'] },
    catchAll: 'web',
    calls: ['web -> redis:6379 (reference)'],
    // redis becomes ElastiCache: no container, so nothing of it runs as root in the cloud.
    root: [],
    debug: ['redis: 6379'],
    gate: [],
    managed: ['redis: elasticache-redis 7.1'],
  },
  'jdbc-backend': {
    entries: { frontend: ['http/3000'] },
    catchAll: 'frontend',
    calls: ['frontend -> backend:8080 (depends_on)', 'backend -> db:5432 (reference)'],
    root: [],
    gate: [],
    managed: ['db: rds-postgres 16'],
  },
  'proxy-api': {
    entries: { proxy: ['http/8080'] },
    catchAll: 'proxy',
    calls: ['proxy -> api:5000 (depends_on)'],
    root: [],
    debug: ['api: 5000'],
    gate: [],
  },
  'file-secrets': {
    entries: { proxy: ['http/8080'] },
    catchAll: 'proxy',
    calls: ['backend -> db:3306 (depends_on)', 'proxy -> backend:8000 (depends_on)'],
    root: [],
    secrets: [
      'backend: db-password -> /run/secrets/db-password [DB_PASSWORD_FILE]',
      'db: db-password -> /run/secrets/db-password [MYSQL_ROOT_PASSWORD_FILE]',
    ],
    gate: [],
    managed: ['db: rds-mariadb 10.11'],
  },
  'run-secrets': {
    entries: {},
    calls: [],
    root: [],
    secrets: [
      'worker: api_token -> /run/secrets/token []',
      'worker: signing_key -> /run/secrets/signing_key []',
    ],
    gate: [],
  },
  'build-targets': {
    entries: { api: ['http/3000'] },
    catchAll: 'api',
    calls: [],
    root: ['api-dev'],
    gate: ['api-dev: root-user'],
  },
  'debug-datastores': {
    entries: { web: ['http/3000'] },
    catchAll: 'web',
    calls: ['web -> db:5432 (reference)', 'web -> search:9200 (reference)'],
    root: [],
    debug: ['db: 5432', 'search: 9200'],
    gate: [],
    managed: ['db: rds-postgres 16'],
  },
  'game-server': {
    entries: { minecraft: ['tcp/25565', 'http/8123'] },
    catchAll: 'minecraft',
    calls: [],
    root: [],
    gate: [],
  },
  'docker-socket': {
    entries: { app: ['http/3000'], portainer: ['https/9443'] },
    catchAll: 'app',
    calls: [],
    root: ['portainer'],
    gate: ['portainer: root-user', 'portainer: docker-socket'],
  },
  'docker-socket-local-only': {
    entries: { app: ['http/3000'] },
    catchAll: 'app',
    calls: [],
    root: [],
    debug: ['portainer: 9443'],
    gate: [],
  },
  'two-entries': {
    entries: { admin: ['http/3000'], site: ['http/3000'] },
    catchAll: 'site',
    calls: [],
    root: [],
    gate: [],
  },
  'ambiguous-entries': {
    entries: { shop: ['http/3000'], blog: ['http/3000'] },
    catchAll: 'shop',
    calls: [],
    root: [],
    gate: [],
  },
  'udp-dns': { entries: { dns: ['udp/5353', 'tcp/5353'] }, calls: [], root: [], gate: [] },
  'log-shipping': {
    entries: { logstash: ['tcp/5044', 'http/9600', 'udp/12201'] },
    catchAll: 'logstash',
    calls: [],
    root: [],
    gate: [],
  },
  'root-users': {
    entries: {},
    calls: [],
    root: ['uid0', 'rootroot', 'zerozero', 'nouser'],
    gate: ['uid0: root-user', 'rootroot: root-user', 'zerozero: root-user', 'nouser: root-user'],
  },
  credentials: { entries: {}, calls: [], root: [], gate: ['api: plain-secret'] },
  'worker-queue': {
    entries: { web: ['http/5000'] },
    catchAll: 'web',
    calls: ['web -> rabbitmq:5672 (reference)', 'worker -> rabbitmq:5672 (reference)'],
    root: ['rabbitmq'],
    debug: ['rabbitmq: 5672', 'rabbitmq: 15672'],
    gate: ['worker: plain-secret', 'rabbitmq: root-user'],
  },
  'mongo-api': {
    entries: { api: ['http/3000'] },
    catchAll: 'api',
    calls: ['api -> mongo:27017 (reference)'],
    root: [],
    debug: ['mongo: 27017'],
    gate: [],
    managed: ['mongo: documentdb 8.0'],
  },
  'bind-mounts': {
    entries: { proxy: ['http/8080'] },
    catchAll: 'proxy',
    calls: ['proxy -> app:3000 (depends_on)'],
    root: [],
    gate: [],
  },
  'host-settings': {
    entries: {},
    calls: [],
    root: [],
    gate: ['monitor: host-pid', 'monitor: host-ipc', 'monitor: devices'],
  },
  'kafka-stack': {
    entries: {},
    calls: ['kafka -> zookeeper:2181 (depends_on)', 'producer -> kafka:9092 (reference)'],
    root: ['zookeeper', 'kafka'],
    debug: ['kafka: 9092'],
    gate: ['zookeeper: root-user', 'kafka: root-user'],
  },
  'portless-callee': {
    entries: { proxy: ['http/8080'] },
    catchAll: 'proxy',
    calls: ['proxy -> backend: (depends_on)'],
    root: [],
    gate: ['proxy: unknown-call-port'],
  },
  'debugger-port': {
    entries: { web: ['http/3000'] },
    catchAll: 'web',
    calls: [],
    root: [],
    debug: ['web: 9229'],
    gate: [],
  },
};

describe('production intent of the compose corpus', () => {
  it('covers at least 15 realistic apps', () => {
    expect(Object.keys(CORPUS).length).toBeGreaterThanOrEqual(15);
  });

  for (const [name, want] of Object.entries(CORPUS)) {
    describe(name, () => {
      const app = load(name);
      it('public services and their protocols', () => {
        const entries = Object.fromEntries(
          app.services
            .filter((s) => s.public)
            .map((s) => [s.name, s.intent.entryPorts.map((p) => `${p.protocol}/${p.port}`)]),
        );
        expect(entries).toEqual(want.entries);
        for (const s of app.services.filter((x) => x.intent.datastore)) expect(s.public, s.name).toBe(false);
      });
      it('the catch-all route', () => {
        expect(app.intent.catchAll?.service).toBe(want.catchAll);
      });
      it('calls with their ports and where they were found', () => {
        const calls = app.traffic.edges
          .filter((e) => e.from !== INTERNET)
          .map((e) => `${e.from} -> ${e.to}:${e.ports.join(',')} (${e.reason})`);
        expect(calls).toEqual(want.calls);
        for (const e of app.traffic.edges.filter((x) => x.from !== INTERNET)) {
          expect(e.evidence.length, `${e.from}->${e.to}`).toBeGreaterThan(0);
          for (const ev of e.evidence) expect(ev.location?.line, ev.path).toBeGreaterThan(0);
        }
      });
      it('who runs as root in the cloud', () => {
        expect(
          cloudContainers(app)
            .filter((s) => runsAsRoot(s.intent.user))
            .map((s) => s.name),
        ).toEqual(want.root);
      });
      it('how each secret arrives', () => {
        const secrets = app.services.flatMap((s) =>
          s.intent.secrets.map((d) => `${s.name}: ${d.name} -> ${d.target} [${d.fileVariables.join(',')}]`),
        );
        expect(secrets).toEqual(want.secrets ?? []);
        // A `*_FILE` variable pointing at a secret is a path, never a credential finding.
        for (const s of app.services) {
          for (const d of s.intent.secrets) {
            for (const v of d.fileVariables) {
              expect(s.intent.environment.find((e) => e.name === v)?.handling).toBe('secret-file');
            }
          }
        }
      });
      it('what the cloud gate refuses', () => {
        const open = gateFindings(app)
          .filter((f) => !f.acknowledged)
          .map((f) => `${f.service}: ${f.rule}`);
        expect(open).toEqual(want.gate ?? []);
      });
      it('datastores that become managed services', () => {
        const managed = app.services
          .filter((s) => s.intent.datastore?.cloud === 'managed')
          .map((s) => `${s.name}: ${s.intent.datastore!.engine} ${s.intent.datastore!.version ?? ''}`.trim());
        expect(managed).toEqual(want.managed ?? []);
      });
      it('published ports that stay local debug ports', () => {
        const debug = app.services.flatMap((s) => s.intent.debugPorts.map((p) => `${s.name}: ${p.target}`));
        expect(debug).toEqual(want.debug ?? []);
      });
      it('prints every decision with a reason', () => {
        expect(app.intent.decisions.length).toBeGreaterThan(0);
        for (const s of app.services) {
          expect(app.intent.decisions.some((d) => d.service === s.name && d.topic === 'exposure')).toBe(true);
        }
      });
    });
  }

  it('credentials: only the one written in the file is a finding; .env and env_file values are configuration', () => {
    const api = load('credentials').services[0]!;
    const env = Object.fromEntries(api.intent.environment.map((e) => [e.name, [e.handling, e.literal]]));
    expect(env).toEqual({
      DB_PASSWORD: ['secret', false],
      LOG_LEVEL: ['plain', true],
      SESSION_SECRET: ['secret', false],
      STRIPE_API_KEY: ['secret', true],
    });
  });

  it('bind mounts: a config file is baked, the source overlay dropped, a data directory persists', () => {
    const app = load('bind-mounts');
    const mounts = app.services.flatMap((s) =>
      s.intent.mounts.map((m) => `${s.name}:${m.target}=${m.cloud}`),
    );
    expect(mounts).toEqual([
      'proxy:/etc/nginx/conf.d/default.conf=baked',
      'app:/app/src=dropped',
      'app:/app/data=volume',
      'app:/etc/localtime=dropped',
    ]);
    expect(app.services[0]!.intent.cloudImage.kind).toBe('derived');
  });

  it('ambiguous entries: the choice is named in a warning with the x-shipshape fix', () => {
    const w = load('ambiguous-entries').warnings.find((x) => x.path === 'x-shipshape.catch-all');
    expect(w?.message).toMatch(/chose "shop"/);
    expect(w?.hint).toMatch(/catch-all: shop/);
  });

  it('a call to a service with no known port is a located warning, and the gate says how to fix it', () => {
    const app = load('portless-callee');
    const w = app.warnings.find((x) => /listens on no known port/.test(x.message));
    expect(w?.location?.line).toBe(6); // the depends_on entry
    const f = gateFindings(app).find((x) => x.rule === 'unknown-call-port');
    expect(f?.fix).toMatch(/expose: \["PORT"\]/);
  });
});
