/**
 * Attacks on "may face the internet" (docs/check.md, public-datastore): datastores recognized by
 * image family and by protocol, admin tools, poolers, debugger ports, an API that calls back, and
 * `x-shipshape.public: true` where it must not go — refused by synth's gate as by check.
 */
import { describe, expect, it } from 'vitest';
import { ShipshapeError } from '../../../src/model/errors.js';
import { loadApp } from '../../../src/model/load.js';
import { INTERNET, type AppModel } from '../../../src/model/types.js';
import { assertCloudReady, gateFindings } from '../../../src/model/gate.js';
import { composeDir } from '../../support/compose-dir.js';

const load = (compose: string): AppModel =>
  loadApp([], { cwd: composeDir({ 'compose.yaml': compose }), env: {} });
const svc = (app: AppModel, name: string) => app.services.find((s) => s.name === name)!;
const publicNames = (app: AppModel) => app.services.filter((s) => s.public).map((s) => s.name);

/** One service per image, each publishing `ports`, beside a web entry. */
function published(images: Record<string, string>, ports: (name: string) => string): AppModel {
  const services = Object.entries(images)
    .map(([name, image]) => `  ${name}:\n    image: ${image}\n    ports: [${ports(name)}]\n`)
    .join('');
  return load(`services:\n  web:\n    image: example/web:1\n    ports: ["8080:8080"]\n${services}`);
}

describe('datastores, by image family', () => {
  const images = {
    pgvector: 'pgvector/pgvector:pg16',
    cockroach: 'cockroachdb/cockroach:v24.1.0',
    dragonfly: 'docker.dragonflydb.io/dragonflydb/dragonfly:v1.21.0',
    mosquitto: 'eclipse-mosquitto:2.0',
    emqx: 'emqx/emqx:5.7',
    yugabyte: 'yugabytedb/yugabyte:2.20.4.0-b50',
    qdrant: 'qdrant/qdrant:v1.9.0',
  };
  const ports: Record<string, string> = {
    pgvector: '"5432:5432"',
    cockroach: '"26257:26257", "8081:8080"',
    dragonfly: '"6379:6379"',
    mosquitto: '"1883:1883", "9001:9001"',
    emqx: '"1883:1883", "18083:18083"',
    yugabyte: '"5433:5433", "7000:7000"',
    qdrant: '"6333:6333"',
  };
  const app = published(images, (n) => ports[n]!);

  it('stay private whatever they publish: no entry, no balancer', () => {
    expect(publicNames(app)).toEqual(['web']);
    for (const name of Object.keys(images)) {
      const s = svc(app, name);
      expect(s.intent.datastore, name).toBeDefined();
      expect(s.intent.entryPorts, name).toEqual([]);
    }
    expect(app.traffic.edges.filter((e) => e.from === INTERNET).map((e) => e.to)).toEqual(['web']);
  });

  it('pgvector becomes RDS for PostgreSQL at the version its tag names; Dragonfly stays a container', () => {
    expect(svc(app, 'pgvector').intent.datastore).toMatchObject({ engine: 'rds-postgres', version: '16' });
    expect(svc(app, 'dragonfly').intent.datastore).toMatchObject({ cloud: 'container' });
  });
});

describe('datastores, by protocol: an unknown image on a datastore port', () => {
  it('a port that speaks a datastore protocol is never an entry', () => {
    const app = load(`services:
  custom-db:
    image: example/special-db:1
    ports: ["5432:5432"]
  custom-crdb:
    image: example/crdb-fork:1
    ports: ["26257:26257"]
  mixed:
    image: example/app:1
    ports: ["8080:8080", "6379:6379"]
`);
    expect(publicNames(app)).toEqual(['mixed']);
    expect(svc(app, 'mixed').intent.entryPorts.map((p) => p.port)).toEqual([8080]);
    expect(svc(app, 'mixed').intent.debugPorts.map((p) => p.target)).toEqual([6379]);
    expect(svc(app, 'custom-crdb').intent.exposureReason).toMatch(/CockroachDB/);
  });

  it('26257 is never HTTP, even when public by x-shipshape', () => {
    const app = load(`services:
  crdb:
    image: example/crdb-fork:1
    ports: ["26257:26257"]
    x-shipshape: { public: true, protocols: { 26257: tcp } }
`);
    expect(svc(app, 'crdb').intent.entryPorts.map((p) => `${p.protocol}/${p.port}`)).toEqual(['tcp/26257']);
  });
});

describe('admin tools and poolers', () => {
  const tools = {
    phpmyadmin: 'phpmyadmin:5.2',
    adminer: 'adminer:4.8.1',
    pgadmin: 'dpage/pgadmin4:8.6',
    mongoexpress: 'mongo-express:1.0.2',
    rediscommander: 'rediscommander/redis-commander:latest',
  };
  it('admin tools are local tools: not deployed, never public, never given the database password', () => {
    const services = Object.entries(tools)
      .map(
        ([name, image]) =>
          `  ${name}:\n    image: ${image}\n    ports: ["${8000 + Object.keys(tools).indexOf(name)}:80"]\n    environment: { DATABASE_URL: "postgres://db/app", PGPASSWORD: "\${PW}" }\n`,
      )
      .join('');
    const app = load(`services:\n  db:\n    image: postgres:16\n${services}`);
    expect(publicNames(app)).toEqual([]);
    for (const name of Object.keys(tools)) {
      const s = svc(app, name);
      expect(s.intent.placement, name).toBe('local-only');
      expect(s.intent.placementReason, name).toMatch(/admin tool/);
      expect(s.intent.connections, name).toEqual([]);
    }
  });

  it('poolers (pgbouncer, supavisor, pgcat) published for debugging stay private', () => {
    const app = published(
      {
        pgbouncer: 'edoburu/pgbouncer:1.22.1',
        supavisor: 'supabase/supavisor:1.1.56',
        pgcat: 'ghcr.io/postgresml/pgcat:v1.1.1',
      },
      (n) => (n === 'supavisor' ? '"6543:6543", "4000:4000"' : '"6432:6432"'),
    );
    expect(publicNames(app)).toEqual(['web']);
    for (const n of ['pgbouncer', 'supavisor', 'pgcat'])
      expect(svc(app, n).intent.datastore?.kind, n).toBe('pooler');
  });
});

describe('debugger ports', () => {
  const app = load(`services:
  web:
    image: example/web:1
    ports: ["3000:3000", "9229:9229", "9222:9222"]
    expose: ["5005"]
  worker:
    image: example/worker:1
    environment:
      INSPECT: ws://web:9229/session
      WEB_URL: http://web:3000
`);
  it('never an entry, never a listening port', () => {
    const web = svc(app, 'web');
    expect(web.intent.entryPorts.map((p) => p.port)).toEqual([3000]);
    expect(web.intent.listenPorts).toEqual([3000]);
  });
  it('never allowed between services, even when a caller names it', () => {
    const edge = app.traffic.edges.find((e) => e.from === 'worker' && e.to === 'web');
    expect(edge?.ports).toEqual([3000]);
    expect(app.warnings.some((w) => /debugger port 9229/.test(w.message))).toBe(true);
  });
});

describe('an API that other services call is not public, even if it calls them back', () => {
  it('web ↔ api: the web is the entry', () => {
    const app = load(`services:
  api:
    image: example/api:1
    ports: ["5000:5000"]
    environment: { WEB_CALLBACK: "http://web:3000/hooks" }
  web:
    image: example/web:1
    ports: ["80:3000"]
    environment: { API_URL: "http://api:5000" }
`);
    expect(publicNames(app)).toEqual(['web']);
    expect(svc(app, 'api').intent.exposureReason).toMatch(/called by web/);
  });
  it('two services with plain names that call each other: one entry (the first), not two', () => {
    const app = load(`services:
  alpha:
    image: example/a:1
    ports: ["3001:3001"]
    environment: { B: "http://beta:3002" }
  beta:
    image: example/b:1
    ports: ["3002:3002"]
    environment: { A: "http://alpha:3001" }
`);
    expect(publicNames(app)).toEqual(['alpha']);
  });
});

describe('x-shipshape.public: true where it must not go is refused by synth and check alike', () => {
  const app = load(`services:
  cache:
    image: redis:7
    x-shipshape:
      public: true
  db:
    image: postgres:16
    x-shipshape: { public: true }
  pma:
    image: phpmyadmin:5.2
    ports: ["8081:80"]
    x-shipshape: { public: true }
`);
  it('one refusal per service, at its x-shipshape.public', () => {
    const f = gateFindings(app).filter((x) => x.rule === 'public-datastore');
    expect(f.map((x) => [x.service, x.location?.line])).toEqual([
      ['cache', 5],
      ['db', 8],
      ['pma', 12],
    ]);
  });
  it('synth refuses (exit 2), listing each', () => {
    let error: ShipshapeError | undefined;
    try {
      assertCloudReady(app);
    } catch (e) {
      error = e as ShipshapeError;
    }
    expect(error?.exitCode).toBe(2);
    const all = [error!.toDiagnostic(), ...error!.more].map((d) => d.message).join('\n');
    expect(all.match(/\[public-datastore\]/g)).toHaveLength(3);
  });
});

describe('what the wild corpus taught', () => {
  it('a port published on loopback only is a local port, never an entry (and the app is told)', () => {
    const app = load(`services:
  app:
    image: example/app:1
    ports: ["127.0.0.1:8000:8000", "[::1]:8001:8001"]
`);
    expect(publicNames(app)).toEqual([]);
    expect(app.services[0]!.intent.exposureReason).toMatch(/published on 127\.0\.0\.1 only/);
    expect(app.warnings.find((w) => /no service is public/.test(w.message))?.hint).toMatch(/public: true/);
  });

  it('a TLS port beside the HTTP entry (80+443, 8000+8443) is that entry over TLS, not a second listener', () => {
    for (const ports of ['"80:80", "443:443"', '"8000:80", "8443:443"', '"80:8080", "443:8443"']) {
      const app = load(`services:\n  proxy:\n    image: example/proxy:1\n    ports: [${ports}]\n`);
      const proxy = app.services[0]!;
      expect(
        proxy.intent.entryPorts.map((p) => `${p.protocol}/${p.port}${p.listener ?? ''}`),
        ports,
      ).toHaveLength(1);
      expect(proxy.intent.entryPorts[0]!.protocol, ports).toBe('http');
      expect(proxy.intent.exposureReason, ports).toMatch(/TLS port/);
    }
  });

  it('a service behind an HTTP entry keeps its raw UDP ports as entries', () => {
    const app = load(`services:
  web:
    image: example/web:1
    ports: ["80:8080"]
    depends_on: [media]
  media:
    image: example/media:1
    ports: ["10000:10000/udp", "127.0.0.1:8081:8080"]
`);
    expect(publicNames(app)).toEqual(['web', 'media']);
    expect(svc(app, 'media').intent.entryPorts.map((p) => `${p.protocol}/${p.port}`)).toEqual(['udp/10000']);
  });
});
