/**
 * The wild corpus (test/fixtures/wild, see its README): compose files of public self-hosted
 * projects, as published, and what the model decides for each — who is public on which port,
 * which datastore becomes which managed service, which tools stay local, every call with its
 * ports and protocol (inferred ones marked), and what the cloud gate refuses besides root (most
 * images do not say their user). Any change to these decisions is a change to review here.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import { INTERNET, type AppModel } from '../../../src/model/types.js';
import { gateFindings } from '../../../src/model/gate.js';

const root = new URL('../../fixtures/wild/', import.meta.url).pathname;
const load = (name: string): AppModel => loadApp([], { cwd: `${root}${name}`, env: {} });

interface Expected {
  /** `service: [protocol/port]` of every public service. */
  entries: Record<string, string[]>;
  /** `service: engine` of every datastore that becomes a managed service. */
  managed?: string[];
  /** Services not deployed (admin tools, mail catchers). */
  localOnly?: string[];
  /** `from -> to:ports/protocol` of every call (a sample for sentry, with `callCount`). */
  calls: string[];
  callCount?: number;
  /** `service: rule` of every open gate finding but root-user. */
  refused: string[];
}

const WILD: Record<string, Expected> = {
  appwrite: {
    entries: { traefik: ['http/80'] },
    managed: ['mariadb: rds-mariadb', 'postgresql: rds-postgres', 'redis: elasticache-redis'],
    calls: [
      'traefik -> appwrite:80/tcp',
      'appwrite -> redis:6379/tcp',
      'appwrite -> postgresql:5432/tcp',
      'appwrite -> appwrite-embedding:/tcp',
      'appwrite -> appwrite-geo:/tcp',
      'appwrite-realtime -> postgresql:5432/tcp',
      'appwrite-realtime -> redis:6379/tcp',
      'appwrite-realtime -> appwrite-embedding:/tcp',
      'appwrite-worker -> redis:6379/tcp',
      'appwrite-worker -> postgresql:5432/tcp',
      'appwrite-worker -> appwrite-embedding:/tcp',
      'appwrite-task-scheduler -> postgresql:5432/tcp',
      'appwrite-task-scheduler -> redis:6379/tcp',
      'appwrite-task-scheduler -> appwrite-embedding:/tcp',
      'appwrite-task-maintenance -> postgresql:5432/tcp',
      'appwrite-task-maintenance -> redis:6379/tcp',
      'appwrite-task-interval -> postgresql:5432/tcp',
      'appwrite-task-interval -> redis:6379/tcp',
    ],
    refused: [
      'appwrite-realtime: unknown-call-port',
      'appwrite-task-scheduler: unknown-call-port',
      'appwrite-worker: fargate-unsupported',
      'appwrite-worker: unknown-call-port',
      'appwrite: unknown-call-port',
      'mongodb: datastore-version',
      'openruntimes-executor: docker-socket',
      'openruntimes-executor: host-path',
      'orchestrator: docker-socket',
      'traefik: docker-socket',
    ],
  },
  baserow: {
    entries: { caddy: ['http/80'] },
    managed: ['db: rds-postgres', 'redis: elasticache-redis'],
    calls: [
      'caddy -> web-frontend:3000/tcp (inferred)',
      'caddy -> backend:8000/tcp (inferred)',
      'backend -> db:5432/tcp',
      'backend -> redis:6379/tcp',
      'web-frontend -> backend:8000/tcp',
      'celery -> backend:8000/tcp',
      'celery-export-worker -> backend:8000/tcp',
      'celery-beat-worker -> backend:8000/tcp',
    ],
    refused: [],
  },
  'firefly-iii': {
    entries: { app: ['http/8080'] },
    managed: ['db: rds-mariadb'],
    calls: ['app -> db:3306/tcp', 'cron -> app:8080/tcp', 'cron -> db:3306/tcp (inferred)'],
    refused: [],
  },
  healthchecks: {
    entries: { web: ['http/8000'] },
    managed: ['db: rds-postgres'],
    calls: ['web -> db:5432/tcp'],
    refused: ['web: dockerfile'],
  },
  jitsi: {
    entries: { web: ['http/8000'], jvb: ['udp/10000'] },
    calls: [
      'web -> jvb:8080/tcp',
      'web -> jvb:10000/udp',
      'jicofo -> prosody:5222,5269,5280,5347/tcp',
      'jvb -> prosody:5222,5269,5280,5347/tcp',
    ],
    refused: ['web: host-path'],
  },
  langfuse: {
    entries: { 'langfuse-web': ['http/3000'] },
    managed: ['minio: s3', 'redis: elasticache-redis', 'postgres: rds-postgres'],
    calls: [
      'langfuse-worker -> postgres:5432/tcp',
      'langfuse-worker -> minio:9000/tcp',
      'langfuse-worker -> redis:6379/tcp',
      'langfuse-worker -> clickhouse:8123,9000/tcp',
      'langfuse-web -> postgres:5432/tcp',
      'langfuse-web -> minio:9000/tcp',
      'langfuse-web -> redis:6379/tcp',
      'langfuse-web -> clickhouse:8123,9000/tcp',
    ],
    refused: ['clickhouse: plain-secret', 'langfuse-web: plain-secret', 'langfuse-worker: plain-secret'],
  },
  listmonk: {
    entries: { app: ['http/9000'] },
    managed: ['db: rds-postgres'],
    calls: ['app -> db:5432/tcp'],
    refused: [],
  },
  mattermost: {
    entries: {},
    managed: ['postgres: rds-postgres'],
    calls: ['mattermost -> postgres:5432/tcp'],
    refused: [],
  },
  outline: {
    entries: {},
    managed: ['redis: elasticache-valkey', 'postgres: rds-postgres'],
    calls: [],
    refused: [],
  },
  'paperless-ngx': {
    entries: { webserver: ['http/8000'] },
    calls: [
      'webserver -> db:5432/tcp',
      'webserver -> broker:6379/tcp',
      'webserver -> gotenberg:3000/tcp',
      'webserver -> tika:9998/tcp',
    ],
    refused: ['broker: datastore-version', 'db: datastore-version', 'db: plain-secret'],
  },
  penpot: {
    entries: { 'penpot-frontend': ['http/8080'] },
    managed: ['penpot-postgres: rds-postgres', 'penpot-valkey: elasticache-valkey'],
    localOnly: ['penpot-mailcatch'],
    calls: [
      'penpot-frontend -> penpot-backend:/tcp',
      'penpot-frontend -> penpot-exporter:/tcp',
      'penpot-frontend -> penpot-mcp:/tcp',
      'penpot-backend -> penpot-postgres:5432/tcp',
      'penpot-backend -> penpot-valkey:6379/tcp',
      'penpot-backend -> penpot-mailcatch:1025/tcp (inferred)',
      'penpot-exporter -> penpot-valkey:6379/tcp',
      'penpot-exporter -> penpot-frontend:8080/tcp (inferred)',
    ],
    refused: [
      'penpot-backend: plain-secret',
      'penpot-exporter: plain-secret',
      'penpot-frontend: unknown-call-port',
    ],
  },
  plausible: {
    entries: {},
    managed: ['plausible_db: rds-postgres'],
    calls: [
      'plausible -> plausible_db:5432/tcp',
      'plausible -> plausible_events_db:8123/tcp',
      'plausible -> mail:/tcp',
    ],
    refused: ['plausible: unknown-call-port'],
  },
  redash: {
    entries: { server: ['http/5000'] },
    managed: ['redis: elasticache-redis'],
    localOnly: ['email'],
    calls: [
      'server -> postgres:5432/tcp',
      'server -> redis:6379/tcp',
      'server -> email:1025/tcp (inferred)',
      'scheduler -> server:5000/tcp',
      'scheduler -> redis:6379/tcp (inferred)',
      'scheduler -> postgres:5432/tcp (inferred)',
      'scheduler -> email:1025/tcp (inferred)',
      'worker -> server:5000/tcp',
      'worker -> redis:6379/tcp (inferred)',
      'worker -> postgres:5432/tcp (inferred)',
      'worker -> email:1025/tcp (inferred)',
    ],
    refused: [
      'postgres: datastore-version',
      'scheduler: dockerfile',
      'server: dockerfile',
      'worker: dockerfile',
    ],
  },
  rocketchat: {
    entries: { rocketchat: ['http/3000', 'http/9458'] },
    calls: [],
    refused: [],
  },
  searxng: {
    entries: {},
    managed: ['redis: elasticache-valkey'],
    calls: [],
    refused: ['caddy: host-network'],
  },
  sentry: {
    entries: { nginx: ['http/80'] },
    managed: ['memcached: elasticache-memcached', 'redis: elasticache-valkey', 'postgres: rds-postgres'],
    callCount: 259,
    calls: [
      'pgbouncer -> postgres:5432/tcp',
      'snuba-api -> clickhouse:/tcp',
      'snuba-api -> kafka:9092/tcp',
      'snuba-api -> redis:6379/tcp',
      'web -> redis:6379/tcp',
      'web -> kafka:9092/tcp',
      'web -> pgbouncer:6432/tcp',
      'web -> memcached:11211/tcp',
      'web -> smtp:/tcp',
      'web -> seaweedfs:8333/tcp',
      'web -> snuba-api:1218/tcp',
      'web -> symbolicator:/tcp',
      'web -> vroom:8085/tcp (inferred)',
      'nginx -> web:9000/tcp',
      'nginx -> relay:3000/tcp',
      'relay -> kafka:9092/tcp',
      'relay -> redis:6379/tcp',
      'relay -> web:9000/tcp',
    ],
    refused: [
      'attachments-consumer: dockerfile',
      'attachments-consumer: unknown-call-port',
      'clickhouse: dockerfile',
      'events-consumer: dockerfile',
      'events-consumer: unknown-call-port',
      'generic-metrics-consumer: dockerfile',
      'generic-metrics-consumer: unknown-call-port',
      'ingest-feedback-events: dockerfile',
      'ingest-feedback-events: unknown-call-port',
      'ingest-monitors: dockerfile',
      'ingest-monitors: unknown-call-port',
      'ingest-occurrences: dockerfile',
      'ingest-occurrences: unknown-call-port',
      'metrics-consumer: dockerfile',
      'metrics-consumer: unknown-call-port',
      'monitors-clock-tasks: dockerfile',
      'monitors-clock-tasks: unknown-call-port',
      'monitors-clock-tick: dockerfile',
      'monitors-clock-tick: unknown-call-port',
      'post-process-forwarder-errors: dockerfile',
      'post-process-forwarder-errors: unknown-call-port',
      'post-process-forwarder-issue-platform: dockerfile',
      'post-process-forwarder-issue-platform: unknown-call-port',
      'post-process-forwarder-transactions: dockerfile',
      'post-process-forwarder-transactions: unknown-call-port',
      'process-segments: dockerfile',
      'process-segments: unknown-call-port',
      'process-spans: dockerfile',
      'process-spans: unknown-call-port',
      'seaweedfs: plain-secret',
      'sentry-cleanup: dockerfile',
      'sentry-cleanup: unknown-call-port',
      'snuba-api: unknown-call-port',
      'snuba-eap-items-consumer: unknown-call-port',
      'snuba-errors-consumer: unknown-call-port',
      'snuba-generic-metrics-counters-consumer: unknown-call-port',
      'snuba-group-attributes-consumer: unknown-call-port',
      'snuba-issue-occurrence-consumer: unknown-call-port',
      'snuba-metrics-consumer: unknown-call-port',
      'snuba-outcomes-accepted-consumer: unknown-call-port',
      'snuba-outcomes-billing-consumer: unknown-call-port',
      'snuba-outcomes-consumer: unknown-call-port',
      'snuba-profiling-functions-consumer: unknown-call-port',
      'snuba-profiling-profile-chunks-consumer: unknown-call-port',
      'snuba-profiling-profiles-consumer: unknown-call-port',
      'snuba-replacer: unknown-call-port',
      'snuba-replays-consumer: unknown-call-port',
      'snuba-subscription-consumer-eap-items: unknown-call-port',
      'snuba-subscription-consumer-events: unknown-call-port',
      'snuba-subscription-consumer-generic-metrics-counters: unknown-call-port',
      'snuba-subscription-consumer-metrics: unknown-call-port',
      'snuba-subscription-consumer-transactions: unknown-call-port',
      'snuba-transactions-consumer: unknown-call-port',
      'taskscheduler: dockerfile',
      'taskscheduler: unknown-call-port',
      'taskworker: dockerfile',
      'taskworker: unknown-call-port',
      'transactions-consumer: dockerfile',
      'transactions-consumer: unknown-call-port',
      'uptime-results: dockerfile',
      'uptime-results: unknown-call-port',
      'vroom: plain-secret',
      'web: dockerfile',
      'web: unknown-call-port',
    ],
  },
  umami: {
    entries: { umami: ['http/3000'] },
    managed: ['db: rds-postgres'],
    calls: ['umami -> db:5432/tcp'],
    refused: ['umami: plain-secret'],
  },
  zulip: {
    entries: { zulip: ['tcp/25', 'http/80'] },
    managed: ['memcached: elasticache-memcached', 'redis: elasticache-valkey'],
    calls: [
      'zulip -> database:/tcp',
      'zulip -> memcached:11211/tcp',
      'zulip -> rabbitmq:5672/tcp',
      'zulip -> redis:6379/tcp',
    ],
    refused: ['zulip: dockerfile', 'zulip: unknown-call-port'],
  },
};

describe('the wild corpus: real compose files of self-hosted projects', () => {
  it('holds at least 15 projects, each tested', () => {
    const dirs = readdirSync(root).filter((f) => !f.includes('.'));
    expect(dirs.length).toBeGreaterThanOrEqual(15);
    expect(Object.keys(WILD).sort()).toEqual(dirs.sort());
  });

  for (const [name, want] of Object.entries(WILD)) {
    describe(name, () => {
      const app = load(name);
      it('who is public, on which port and protocol', () => {
        expect(
          Object.fromEntries(
            app.services
              .filter((s) => s.public)
              .map((s) => [s.name, s.intent.entryPorts.map((p) => `${p.protocol}/${p.port}`)]),
          ),
        ).toEqual(want.entries);
        for (const s of app.services.filter((x) => x.intent.datastore)) expect(s.public, s.name).toBe(false);
      });
      it('managed datastores and local-only tools', () => {
        expect(
          app.services
            .filter((s) => s.intent.placement === 'managed')
            .map((s) => `${s.name}: ${s.intent.datastore!.engine}`),
        ).toEqual(want.managed ?? []);
        expect(app.services.filter((s) => s.intent.placement === 'local-only').map((s) => s.name)).toEqual(
          want.localOnly ?? [],
        );
      });
      it('calls, with ports and protocol', () => {
        const calls = app.traffic.edges
          .filter((e) => e.from !== INTERNET)
          .map(
            (e) =>
              `${e.from} -> ${e.to}:${e.ports.join(',')}/${e.protocol}${e.declared ? '' : ' (inferred)'}`,
          );
        if (want.callCount !== undefined) {
          expect(calls).toHaveLength(want.callCount);
          for (const c of want.calls) expect(calls).toContain(c);
        } else expect(calls).toEqual(want.calls);
      });
      it('what the cloud gate refuses', () => {
        const refused = [
          ...new Set(
            gateFindings(app)
              .filter((f) => !f.acknowledged && f.rule !== 'root-user')
              .map((f) => `${f.service}: ${f.rule}`),
          ),
        ].sort();
        expect(refused).toEqual(want.refused);
      });
    });
  }
});
