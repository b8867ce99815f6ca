/**
 * What a red-team pass briefed only with docs/check.md found, each kept as an attack: brokers,
 * search engines, secret stores and consoles made public; debugger spellings; the home directory,
 * its dot-directories and the project's parent mounted as "data"; credentials in Oracle thin URLs,
 * `*_PW` names, JSON, authorization values, `-D` properties, redis-cli/mongosh short flags;
 * `${VAR:+word}` in a Dockerfile USER; invisible Tag characters; an IPv4-mapped loopback bind.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import {
  credentialArguments,
  credentialInValue,
  isSensitive,
} from '../../../src/model/intent/credentials.js';
import { hostWideReason } from '../../../src/model/host-paths.js';
import type { AppModel } from '../../../src/model/types.js';
import { gateFindings } from '../../../src/model/gate.js';
import { safeJson, safeText } from '../../../src/support/output.js';
import { composeDir } from '../../support/compose-dir.js';

const load = (compose: string, files: Record<string, string> = {}): AppModel =>
  loadApp([], { cwd: composeDir({ 'compose.yaml': compose, ...files }), env: {} });
const svc = (app: AppModel, name: string) => app.services.find((s) => s.name === name)!;

describe('fail closed on brokers, search engines, secret stores and consoles', () => {
  const images: Record<string, [string, number]> = {
    artemis: ['apache/activemq-artemis:2.33.0', 61616],
    classic: ['apache/activemq-classic:6.1.0', 61616],
    pulsar: ['apachepulsar/pulsar:3.2.0', 6650],
    solr: ['solr:9.5', 8983],
    meili: ['getmeili/meilisearch:v1.7', 7700],
    typesense: ['typesense/typesense:26.0', 8108],
    vault: ['hashicorp/vault:1.15', 8200],
    consul: ['hashicorp/consul:1.18', 8500],
    firebird: ['jacobalberty/firebird:v4.0', 3050],
  };
  it('none is public, each published port stays local', () => {
    const services = Object.entries(images)
      .map(
        ([n, [image, port]]) =>
          `  ${n}:\n    image: ${image}\n    user: "1000"\n    ports: ["${port}:${port}"]\n`,
      )
      .join('');
    const app = load(
      `services:\n  web:\n    image: example/web:1\n    user: "1000"\n    ports: ["8080:8080"]\n${services}`,
    );
    expect(app.services.filter((s) => s.public).map((s) => s.name)).toEqual(['web']);
  });
  it('an unknown image on a broker port is not an entry either', () => {
    const app = load(
      `services:\n  mq:\n    image: example/mq:1\n    user: "1000"\n    ports: ["61616:61616", "8161:8161"]\n`,
    );
    expect(svc(app, 'mq').intent.entryPorts.map((p) => p.port)).toEqual([8161]);
  });
  it('kibana, flower and a notebook are local tools, never deployed', () => {
    const app = load(`services:
  kibana: { image: "kibana:8.13.0", ports: ["5601:5601"] }
  flower: { image: "mher/flower:2.0", ports: ["5555:5555"] }
  lab: { image: "jupyter/base-notebook:2024-01-01", ports: ["8888:8888"] }
`);
    for (const s of app.services) expect(s.intent.placement, s.name).toBe('local-only');
  });
});

describe('debugger spellings', () => {
  it('-Xrunjdwp, --inspect=[::]:N, JPDA_ADDRESS, JAVA_OPTS and rdbg are never entries', () => {
    const app = load(`services:
  a:
    image: example/a:1
    user: "1000"
    ports: ["8791:8791", "8080:8080"]
    command: java -Xdebug -Xrunjdwp:transport=dt_socket,server=y,suspend=n,address=*:8791 -jar app.jar
  b:
    image: example/b:1
    user: "1000"
    ports: ["9347:9347", "3000:3000"]
    command: node --inspect=[::]:9347 app.js
  c:
    image: example/c:1
    user: "1000"
    ports: ["8000:8000", "8081:8081"]
    environment: { JPDA_ADDRESS: "*:8000", JAVA_OPTS: "-Xrunjdwp:transport=dt_socket,address=8790,server=y" }
  d:
    image: example/d:1
    user: "1000"
    ports: ["12345:12345", "3001:3001"]
    command: rdbg --open --port 12345 -c -- bin/rails s
`);
    expect(svc(app, 'a').intent.entryPorts.map((p) => p.port)).toEqual([8080]);
    expect(svc(app, 'b').intent.entryPorts.map((p) => p.port)).toEqual([3000]);
    expect(svc(app, 'c').intent.entryPorts.map((p) => p.port)).toEqual([8081]);
    expect(svc(app, 'd').intent.entryPorts.map((p) => p.port)).toEqual([3001]);
  });
});

describe('host directories that are never data', () => {
  const project = '/srv/work/app';
  const home = homedir();
  it.each([
    ['/home', true],
    ['/home/alice', true],
    ['/Users/bob', true],
    ['/mnt/c', true],
    ['/tmp', true],
    [home, true],
    [join(home, '.ssh'), true],
    [join(home, '.aws', 'credentials'), true],
    ['/srv/work', true],
    ['/srv/data/postgres', false],
    ['/mnt/disk1/photos', false],
    ['/tmp/cache', false],
  ])('%s: refused %s', (path, refused) => {
    expect(hostWideReason(path, project, home) !== undefined).toBe(refused);
  });
  it('a bind of the project parent is refused where compose writes it', () => {
    const dir = composeDir({
      'compose.yaml':
        'services:\n  app:\n    image: example/app:1\n    user: "1000"\n    volumes: ["..:/parent"]\n',
    });
    const app = loadApp([], { cwd: dir, env: {} });
    expect(gateFindings(app).map((f) => `${f.rule} @${f.location?.line}`)).toContain('host-path @5');
  });
});

describe('credentials', () => {
  it('Oracle thin user/password, *_PW and PGPASS names, JSON and authorization values', () => {
    expect(credentialInValue('jdbc:oracle:thin:scott/tiger@db:1521:ORCL')).toBe(
      'a connection string with a password',
    );
    expect(credentialInValue('{"user":"a","password":"hunter22"}')).toBe('a JSON document with a password');
    expect(credentialInValue('Basic dXNlcjpwYXNzd29yZA==')).toBe('an authorization value');
    expect(credentialInValue('Bearer eyJhbGciOiJIUzI1NiJ9')).toBe('an authorization value');
    for (const name of ['LDAP_BIND_PW', 'DB_PW', 'PGPASS'])
      expect(isSensitive(name, 'x7!kq'), name).toBe(true);
    for (const plain of ['jdbc:oracle:thin:@db:1521:ORCL', 'Basic', '{"user":"a"}', 'PW'])
      expect(credentialInValue(plain), plain).toBeUndefined();
  });
  it('-D properties, redis-cli -a, mongosh -p and --header=X-Api-Key on command lines', () => {
    const found = (argv: string[]) => credentialArguments(argv).map((c) => argv[c.index]);
    expect(found(['java', '-Dspring.datasource.password=s3cret', '-jar', 'app.jar'])).toEqual([
      '-Dspring.datasource.password=s3cret',
    ]);
    expect(found(['redis-cli', '-h', 'cache', '-a', 's3cret', 'ping'])).toEqual(['s3cret']);
    expect(found(['mongosh', '-u', 'root', '-p', 's3cret'])).toEqual(['s3cret']);
    expect(found(['wget', '--header=X-Api-Key: s3cret', 'http://x'])).toEqual(['--header=X-Api-Key: s3cret']);
    expect(found(['redis-cli', '-a', '$REDIS_PASSWORD', 'ping'])).toEqual([]);
    expect(found(['psql', '-p', '5432'])).toEqual([]);
  });
  it('an Oracle URL with a password in the environment never reaches the template as text', () => {
    const app = load(
      `services:\n  api:\n    image: example/api:1\n    user: "1000"\n    expose: ["8080"]\n    environment:\n      ORACLE_URL: "jdbc:oracle:thin:scott/\${ORA_PW}@ora.example.com:1521:ORCL"\n`,
      { '.env': 'ORA_PW=LEAKtiger1\n' },
    );
    const e = svc(app, 'api').intent.environment.find((x) => x.name === 'ORACLE_URL')!;
    expect(e.handling).toBe('secret');
  });
});

describe('Dockerfile variable modifiers', () => {
  it('USER ${APP_UID:+0} is root when APP_UID is set, as BuildKit expands it', () => {
    const dir = composeDir({
      'compose.yaml': 'services:\n  api:\n    build: .\n    expose: ["3000"]\n',
      Dockerfile: 'FROM node:20.11\nARG APP_UID=10001\nUSER ${APP_UID:+0}\n',
    });
    const app = loadApp([], { cwd: dir, env: {} });
    expect(svc(app, 'api').intent.user.root).toBe(true);
  });
  it('${X:-1000} is the default when X is unset', () => {
    const dir = join(
      composeDir({ 'compose.yaml': 'services:\n  api:\n    build: .\n    expose: ["3000"]\n' }),
    );
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), 'FROM node:20.11\nARG X\nUSER ${X:-1000}\n');
    const app = loadApp([], { cwd: dir, env: {} });
    expect(svc(app, 'api').intent.user).toMatchObject({ root: false, user: '1000' });
  });
});

describe('what reaches the terminal', () => {
  it('Tag characters and Hangul fillers are escaped; JSON keeps its data', () => {
    expect(safeText('DB_PASSWORD\u{E0041}\u3164')).toBe('DB_PASSWORD\\u{e0041}\\u3164');
    const json = JSON.stringify({ k: 'x\u{E0041}' });
    expect(safeJson(json)).not.toMatch(/\u{E0041}/u);
    expect(JSON.parse(safeJson(json))).toEqual({ k: 'x\u{E0041}' });
  });
  it('a port published on an IPv4-mapped loopback address is not an entry', () => {
    const app = load(
      `services:\n  p:\n    image: example/p:1\n    user: "1000"\n    ports: ["[::ffff:127.0.0.1]:8087:8087"]\n`,
    );
    expect(svc(app, 'p').public).toBe(false);
  });
});
