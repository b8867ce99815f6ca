/**
 * Backing services in the model: which managed service and version each datastore image becomes
 * (or why it stays a container), and how its callers reach it in the cloud.
 */
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { parseImageRef } from '../../../src/model/image-ref.js';
import { MANAGED_ENGINES } from '../../../src/model/datastores/index.js';
import { rewriteHosts } from '../../../src/model/intent/connections.js';
import { pickVersion } from '../../../src/model/intent/datastores.js';
import { loadApp } from '../../../src/model/load.js';
import type { EnvironmentDecision, ManagedEngine, ServiceModel } from '../../../src/model/types.js';
import { engineVersion } from '../../../src/infra/datastores/rds.js';
import { gateFindings } from '../../../src/model/gate.js';
import { composeDir } from '../../support/compose-dir.js';

const load = (compose: string, env: Record<string, string> = {}) =>
  loadApp([], { cwd: composeDir({ 'compose.yaml': compose, 'pw.txt': 'x\n' }), env });
const svc = (app: ReturnType<typeof loadApp>, name: string): ServiceModel =>
  app.services.find((s) => s.name === name)!;
const env = (s: ServiceModel, name: string): EnvironmentDecision =>
  s.intent.environment.find((e) => e.name === name)!;

/** What `image` becomes: `engine version`, or the refusal. */
function mapping(image: string): string {
  const app = load(`services:\n  d:\n    image: ${image}\n`);
  const d = svc(app, 'd').intent.datastore!;
  if (d.cloud === 'managed') return `${d.engine} ${d.version ?? ''}`.trim();
  const refusal = svc(app, 'd').intent.refusals.find((r) => r.rule === 'datastore-version');
  return refusal ? `refused: ${refusal.message}` : `container: ${d.reason}`;
}

describe('managed engine and version from the image', () => {
  it.each([
    ['mariadb:10.6.4-focal', 'rds-mariadb 10.6'],
    ['mariadb:10-focal', 'rds-mariadb 10.11'],
    ['mariadb:10.5', 'rds-mariadb 10.6'],
    ['mariadb:10.9', 'rds-mariadb 10.11'],
    ['mariadb:11', 'rds-mariadb 11.8'],
    ['mariadb:11.4.2', 'rds-mariadb 11.4'],
    ['mariadb', 'rds-mariadb 11.8'],
    ['mysql:8.0.36', 'rds-mysql 8.0'],
    ['mysql:8', 'rds-mysql 8.4'],
    ['mysql:5.7', 'rds-mysql 8.0'],
    ['postgres:12-alpine', 'rds-postgres 13'],
    ['postgres:16', 'rds-postgres 16'],
    ['redis:7-alpine', 'elasticache-redis 7.1'],
    ['redis:6.2', 'elasticache-redis 6.2'],
    ['redis:8', 'elasticache-valkey 8.1'],
    ['redis:alpine', 'elasticache-valkey 8.1'],
    ['valkey/valkey:8', 'elasticache-valkey 8.1'],
    ['valkey/valkey:7.2', 'elasticache-valkey 7.2'],
    ['memcached:1.6-alpine', 'elasticache-memcached 1.6.22'],
    ['mongo:4.2.0', 'documentdb 5.0'],
    ['mongo:4.0', 'documentdb 4.0'],
    ['mongo:7', 'documentdb 8.0'],
    ['mongo', 'documentdb 8.0'],
    ['amazon/dynamodb-local:latest', 'dynamodb'],
    ['minio/minio', 's3'],
    // Stand-ins pinned by tag: the managed service has no versions, so the tag picks none.
    ['amazon/dynamodb-local:2.5.2', 'dynamodb'],
    ['minio/minio:RELEASE.2024-06-13T22-53-53Z', 's3'],
    ['quay.io/minio/minio:2', 's3'],
  ])('%s → %s', (image, expected) => {
    expect(mapping(image)).toBe(expected);
  });

  it('refuses versions newer than the managed service offers, saying how to keep a container', () => {
    expect(mapping('mongo:9')).toMatch(
      /refused: Amazon DocumentDB offers versions up to 8\.0; the image's 9 is newer/,
    );
    expect(mapping('mysql:9.1')).toMatch(/refused: Amazon RDS for MySQL offers versions up to 8\.4/);
    expect(mapping('mariadb:12')).toMatch(/refused/);
    const app = load('services:\n  docs:\n    image: mongo:9\n');
    const r = svc(app, 'docs').intent.refusals[0]!;
    expect(r.path).toBe('services.docs.image');
    expect(r.location?.line).toBe(3);
    expect(r.fix).toContain('x-shipshape: { managed: false }');
    expect(r.fix).toContain('/data/db');
  });

  it('images with modules or extensions the managed service lacks stay containers', () => {
    expect(mapping('redis/redis-stack:7.2.0-v9')).toMatch(/^container: .*modules .* not in ElastiCache/);
    expect(mapping('redislabs/redismod')).toMatch(
      /^container: redislabs\/redismod image: a private container/,
    );
    expect(mapping('timescale/timescaledb:latest-pg16')).toMatch(/^container/);
    expect(mapping('postgis/postgis:16-3.4')).toBe('rds-postgres 16');
  });

  it('managed: false keeps a container, run as the image data user, with a warning when its data has no volume', () => {
    const app = load('services:\n  db:\n    image: mariadb:11\n    x-shipshape: { managed: false }\n');
    const db = svc(app, 'db');
    expect(db.intent.datastore).toMatchObject({ cloud: 'container', dataDir: '/var/lib/mysql' });
    expect(db.intent.refusals).toEqual([]);
    expect(db.intent.user).toMatchObject({ user: '999:999', root: false, setByShipshape: true });
    expect(db.intent.mounts).toContainEqual(
      expect.objectContaining({ target: '/run/mysqld', cloud: 'scratch', implied: true }),
    );
    expect(app.warnings.map((w) => w.message).join('\n')).toMatch(
      /db runs as a container in the cloud, but its data directory \/var\/lib\/mysql is not a volume/,
    );
  });

  it('the data user is the official image layout only: compose user wins, other publishers are not guessed', () => {
    const app = load(
      'services:\n  a:\n    image: redis:7-alpine\n  b:\n    image: redis:7\n    user: "1234"\n  c:\n    image: bitnami/redis:7.2\n',
    );
    expect(svc(app, 'a').intent.user.user).toBe('999:1000');
    expect(svc(app, 'b').intent.user).toMatchObject({ user: '1234', source: 'compose' });
    expect(svc(app, 'c').intent.user).toMatchObject({ user: '1001' });
    expect(svc(app, 'c').intent.user.setByShipshape).toBeUndefined();
  });

  it('tables and buckets on a service that is no stand-in are warned about, with where', () => {
    const app = load(
      'services:\n  api:\n    image: a:1\n    x-shipshape:\n      tables: [{ name: orders, partition-key: id }]\n',
    );
    const w = app.warnings.find((x) => x.path === 'services.api.x-shipshape.tables')!;
    expect(w.message).toMatch(/applies only to a DynamoDB stand-in/);
    expect(w.location?.line).toBe(5);
  });

  it('every version the model offers exists in aws-cdk-lib (the infra resolves it to a patch)', () => {
    const enums: Partial<Record<ManagedEngine, unknown>> = {
      'rds-postgres': rds.PostgresEngineVersion,
      'rds-mysql': rds.MysqlEngineVersion,
      'rds-mariadb': rds.MariaDbEngineVersion,
    };
    for (const [engine, e] of Object.entries(enums)) {
      for (const v of MANAGED_ENGINES[engine as ManagedEngine].versions)
        expect(() => engineVersion(e as Record<string, unknown>, v), `${engine} ${v}`).not.toThrow();
    }
  });

  it('pickVersion states why an untagged or superseded image gets the version it gets', () => {
    const maria = MANAGED_ENGINES['rds-mariadb'];
    expect(pickVersion(maria, parseImageRef('mariadb'))).toEqual({
      version: '11.8',
      note: 'no tag: the newest Amazon RDS for MariaDB offers',
    });
    expect(pickVersion(MANAGED_ENGINES['rds-mysql'], parseImageRef('mysql:5.7'))).toMatchObject({
      version: '8.0',
      note: expect.stringMatching(/5\.7 is no longer offered; 8\.0 is the oldest/),
    });
  });
});

const APP = `
services:
  api:
    image: registry.example.com/api:1
    environment:
      DB_HOST: db
      DB_USER: root
      DB_PASSWORD: \${DB_PASSWORD:-devpass}
      DATABASE_URL: mysql://root:devpass@db:3306/shop
      CACHE_URL: redis://cache:6379/0
      MONGO_URL: mongodb://docs:27017/app
      AWS_ENDPOINT_URL: http://ddb:8000
      AWS_ACCESS_KEY_ID: local
      AWS_SECRET_ACCESS_KEY: local
      AWS_REGION: us-east-1
      ORDERS_TABLE: orders
      MINIO_ENDPOINT: objects:9000
      MINIO_ACCESS_KEY: minioadmin
      BUCKET: uploads
      LOG_LEVEL: info
    secrets: [db-password]
    depends_on: [db, cache, docs, ddb, objects]
  db:
    image: mariadb:11
    environment:
      MARIADB_USER: shop
      MARIADB_PASSWORD: \${DB_PASSWORD:-devpass}
      MARIADB_DATABASE: shop
      MARIADB_ROOT_PASSWORD_FILE: /run/secrets/db-password
    secrets: [db-password]
  cache:
    image: redis:7
  docs:
    image: mongo:5
  ddb:
    image: amazon/dynamodb-local
    x-shipshape:
      tables: [{ name: orders, partition-key: id, sort-key: "at:N" }]
  objects:
    image: minio/minio
    environment:
      MINIO_ROOT_USER: minioadmin
    x-shipshape:
      buckets: [uploads]
secrets:
  db-password:
    file: ./pw.txt
`;

describe('callers of managed datastores', () => {
  const app = load(APP);
  const api = svc(app, 'api');

  it('the datastore is created with the account its image was given', () => {
    expect(svc(app, 'db').intent.datastore?.credentials).toEqual({
      username: 'shop',
      database: 'shop',
      passwordSecret: 'db-password',
    });
    expect(svc(app, 'ddb').intent.datastore?.tables).toEqual([
      { name: 'orders', partitionKey: { name: 'id', type: 'S' }, sortKey: { name: 'at', type: 'N' } },
    ]);
  });

  it("a hostname becomes the endpoint, with each engine's TLS spelling", () => {
    expect(env(api, 'DB_HOST')).toMatchObject({
      handling: 'datastore',
      datastore: 'db',
      cloud: [{ field: 'host' }],
    });
    expect(env(api, 'CACHE_URL').cloud).toEqual(['rediss://', { field: 'host' }, ':6379/0']);
    expect(env(api, 'MONGO_URL').cloud).toEqual([
      'mongodb://',
      { field: 'host' },
      ':27017/app?tls=true&retryWrites=false',
    ]);
  });

  it("the image's password and user become the generated password and the managed user", () => {
    expect(env(api, 'DB_PASSWORD')).toMatchObject({ handling: 'datastore', cloud: [{ field: 'password' }] });
    expect(env(api, 'DB_USER')).toMatchObject({ handling: 'datastore', cloud: ['shop'] });
    expect(api.intent.secrets[0]).toMatchObject({ name: 'db-password', datastore: 'db' });
  });

  it('a URL with the password cannot be assembled by ECS: it stays an operator secret, with a warning that says what to change', () => {
    expect(env(api, 'DATABASE_URL').handling).toBe('secret');
    const w = app.warnings.find((x) => x.path === 'services.api.environment.DATABASE_URL')!;
    expect(w.message).toMatch(/embeds a password in a URL to db/);
    expect(w.hint).toMatch(/MYSQL_HOST, MYSQL_PORT, MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD/);
    expect(w.location?.line).toBeGreaterThan(0);
    expect(app.warnings.find((x) => x.path === 'services.api.environment.CACHE_URL')?.hint).toMatch(
      /REDIS_PASSWORD/,
    );
  });

  it("stand-ins' endpoints and static keys are dropped; region, table and bucket names become the real ones", () => {
    for (const name of [
      'AWS_ENDPOINT_URL',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'MINIO_ENDPOINT',
      'MINIO_ACCESS_KEY',
    ])
      expect(env(api, name).handling, name).toBe('dropped');
    expect(env(api, 'AWS_REGION').cloud).toEqual([{ field: 'region' }]);
    expect(env(api, 'ORDERS_TABLE').cloud).toEqual([{ field: 'table', name: 'orders' }]);
    expect(env(api, 'BUCKET').cloud).toEqual([{ field: 'bucket', name: 'uploads' }]);
    expect(env(api, 'LOG_LEVEL').handling).toBe('plain');
  });

  it("the conventional variables of each engine's ecosystem, and exactly the data actions for DynamoDB and S3", () => {
    const byStore = Object.fromEntries(api.intent.connections.map((c) => [c.datastore, c]));
    expect(byStore.db!.variables.map((v) => v.name)).toEqual([
      'MYSQL_HOST',
      'MYSQL_PORT',
      'MYSQL_DATABASE',
      'MYSQL_USER',
      'MYSQL_PASSWORD',
    ]);
    expect(byStore.cache!.variables.map((v) => v.name)).toEqual([
      'REDIS_HOST',
      'REDIS_PORT',
      'REDIS_PASSWORD',
      'REDIS_TLS',
    ]);
    expect(byStore.docs!.variables.map((v) => v.name)).toEqual([
      'MONGODB_HOST',
      'MONGODB_PORT',
      'MONGODB_USERNAME',
      'MONGODB_PASSWORD',
    ]);
    expect(byStore.ddb!.variables.map((v) => v.name)).toEqual(['DYNAMODB_TABLE', 'DYNAMODB_TABLE_ORDERS']);
    expect(byStore.ddb!.actions.every((a) => a.startsWith('dynamodb:') && !a.includes('*'))).toBe(true);
    expect(byStore.ddb!.actions).not.toContain('dynamodb:CreateTable');
    expect(byStore.objects!.actions).toEqual([
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    expect(byStore.db!.actions).toEqual([]);
  });

  it('config prints each mapping and connection', () => {
    const text = app.intent.decisions.map((d) => d.text).join('\n');
    expect(text).toContain('db: mariadb image → Amazon RDS for MariaDB 11.8');
    expect(text).toContain('api → ddb: DYNAMODB_TABLE=<table orders>');
    expect(text).toContain('api: CACHE_URL → refers to cache');
    // Local passwords are never printed.
    expect(text).not.toContain('devpass');
  });

  it('the gate no longer judges a literal that the cloud replaces with the generated password', () => {
    const literal = load(
      'services:\n  api:\n    image: a:1\n    environment: { DB_PASSWORD: hunter22 }\n    depends_on: [db]\n  db:\n    image: postgres:16\n    environment: { POSTGRES_PASSWORD: hunter22 }\n',
    );
    expect(env(svc(literal, 'api'), 'DB_PASSWORD')).toMatchObject({ handling: 'datastore', literal: false });
  });
});

describe('rewriteHosts', () => {
  it('replaces the host only where it is a hostname', () => {
    expect(rewriteHosts('db', ['db'], 'rds-mysql')).toEqual([{ field: 'host' }]);
    expect(rewriteHosts('jdbc:mysql://db:3306/db', ['db'], 'rds-mysql')).toEqual([
      'jdbc:mysql://',
      { field: 'host' },
      ':3306/db',
    ]);
    expect(rewriteHosts('dbhost,db2', ['db'], 'rds-mysql')).toEqual(['dbhost,db2']);
    expect(rewriteHosts('mongodb://docs', ['docs'], 'documentdb')).toEqual([
      'mongodb://',
      { field: 'host' },
      '/?tls=true&retryWrites=false',
    ]);
  });
});

describe('persistent volumes', () => {
  it('one owner per volume: the user of the service that writes it, others warned when they write as someone else', () => {
    const app = load(
      'services:\n  a:\n    image: a:1\n    user: "1000:1000"\n    volumes: ["data:/d:ro"]\n  b:\n    image: b:1\n    user: "2000"\n    volumes: ["data:/d"]\n  c:\n    image: c:1\n    user: node\n    volumes: ["data:/d"]\nvolumes:\n  data:\n',
    );
    const owner = (n: string) => svc(app, n).intent.mounts[0]!.owner;
    expect(owner('a')).toEqual({ uid: 2000, gid: 2000 });
    expect(owner('b')).toEqual({ uid: 2000, gid: 2000 });
    expect(owner('c')).toEqual({ uid: 2000, gid: 2000 });
    expect(app.warnings.filter((w) => /both write volume "data"/.test(w.message)).map((w) => w.path)).toEqual(
      ['services.c.volumes'],
    );
  });

  it('a managed datastore drops all its mounts, and says init scripts do not run', () => {
    const app = load(
      'services:\n  db:\n    image: postgres:16\n    volumes: ["pg:/var/lib/postgresql/data", "./init.sql:/docker-entrypoint-initdb.d/init.sql"]\nvolumes:\n  pg:\n',
    );
    const mounts = svc(app, 'db').intent.mounts.filter((m) => !m.implied);
    expect(mounts.map((m) => m.cloud)).toEqual(['dropped', 'dropped']);
    expect(mounts[1]!.reason).toMatch(/init scripts do not run on Amazon RDS for PostgreSQL/);
  });
});

describe('a Flask + React + Postgres + DynamoDB Local stack (the shape of the seed 004 app)', () => {
  const app = loadApp([], {
    cwd: composeDir({
      'compose.yaml': `
services:
  backend-flask:
    build: ./backend-flask
    ports: ["4567:4567"]
    environment:
      FRONTEND_URL: http://localhost:3000
      AWS_ENDPOINT_URL: http://dynamodb-local:8000
      CONNECTION_URL: postgresql://postgres:password@db:5432/cruddur
    volumes: ["./backend-flask:/backend-flask"]
  frontend-react-js:
    build: ./frontend-react-js
    ports: ["3000:3000"]
    environment:
      REACT_APP_BACKEND_URL: http://localhost:4567
  dynamodb-local:
    user: root
    command: "-jar DynamoDBLocal.jar -sharedDb -dbPath ./data"
    image: amazon/dynamodb-local:latest
    container_name: dynamodb-local
    ports: ["8000:8000"]
    volumes: ["./docker/dynamodb:/home/dynamodblocal/data"]
    working_dir: /home/dynamodblocal
  db:
    image: postgres:13-alpine
    environment:
      - POSTGRES_USER=postgres
      - POSTGRES_PASSWORD=password
    ports: ["5432:5432"]
    volumes: [db:/var/lib/postgresql/data]
volumes:
  db:
`,
      'backend-flask/Dockerfile':
        'FROM python:3.10-slim-buster\nUSER 1000\nCMD ["python3", "-m", "flask", "run"]\n',
      'frontend-react-js/Dockerfile': 'FROM node:16.18\nUSER node\nCMD ["npm", "start"]\n',
    }),
    env: {},
  });

  it('DynamoDB Local and Postgres become DynamoDB and RDS; nothing of them is judged as a container', () => {
    expect(svc(app, 'dynamodb-local').intent.datastore).toMatchObject({
      cloud: 'managed',
      engine: 'dynamodb',
    });
    expect(svc(app, 'dynamodb-local').intent.mounts[0]).toMatchObject({ cloud: 'dropped' });
    expect(svc(app, 'db').intent.datastore).toMatchObject({ engine: 'rds-postgres', version: '13' });
    expect(svc(app, 'db').intent.datastore?.credentials).toEqual({ username: 'postgres' });
    const backend = svc(app, 'backend-flask');
    expect(env(backend, 'AWS_ENDPOINT_URL').handling).toBe('dropped');
    expect(backend.intent.connections.map((c) => c.datastore).sort()).toEqual(['db', 'dynamodb-local']);
    // The password in CONNECTION_URL cannot be assembled by ECS: the warning says what to change.
    expect(app.warnings.map((w) => w.message).join('\n')).toMatch(
      /CONNECTION_URL embeds a password in a URL to db/,
    );
    // user: root of dynamodb-local is not a cloud finding: it is not deployed.
    const deployed = app.services.filter((s) => s.intent.datastore?.cloud !== 'managed').map((s) => s.name);
    expect(deployed).toEqual(['backend-flask', 'frontend-react-js']);
    expect(gateFindings(app).map((f) => f.service)).not.toContain('dynamodb-local');
  });
});
