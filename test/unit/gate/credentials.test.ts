/**
 * Attacks on "is a credential" (docs/check.md, plain-secret and secret-argument): names, URL
 * forms, connection strings, command and health-check arguments, literal defaults. A credential
 * reaches the template only as a Secrets Manager reference, or the gate refuses it; `config`
 * never prints one; a datastore's generated password goes only where a password went.
 */
import { assertCloudReady } from '../../../src/model/gate.js';
import fc from 'fast-check';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { printableModel } from '../../../src/cli/actions/config.js';
import { ComposeApp } from '../../../src/infra/compose-app.js';
import {
  credentialArguments,
  credentialInValue,
  isCredentialName,
  redactArguments,
} from '../../../src/model/intent/credentials.js';
import { loadApp } from '../../../src/model/load.js';
import { gateFindings } from '../../../src/model/gate.js';
import { composeDir } from '../../support/compose-dir.js';

const load = (files: Record<string, string>, env: Record<string, string> = {}) =>
  loadApp([], { cwd: composeDir(files), env });
const open = (app: ReturnType<typeof load>) =>
  gateFindings(app)
    .filter((f) => !f.acknowledged)
    .map((f) => `${f.service}: ${f.rule}`);

describe('is a credential: names', () => {
  it('passwords, secrets, tokens and keys that sign or encrypt, in any case', () => {
    for (const n of [
      'MYSQL_PWD',
      'DB_PASS',
      'APP_KEY',
      'ENCRYPTION_KEY',
      'SECRET_KEY_BASE',
      'DJANGO_SECRET_KEY',
      'JWT_SIGNING_KEY',
      'WORDPRESS_AUTH_SALT',
      'GPG_PASSPHRASE',
      'stripe_api_key',
      'AWS_SECRET_ACCESS_KEY',
      'GITHUB_TOKEN',
      'SESSION_KEY',
      'MASTER_KEY',
      'LICENSE_KEY',
    ])
      expect(isCredentialName(n), n).toBe(true);
  });
  it('not the working directory, paths to a credential, or settings about one', () => {
    for (const n of [
      'PWD',
      'OLDPWD',
      'HOME',
      'PORT',
      'DB_PASSWORD_FILE',
      'PASSWORD_MIN_LENGTH',
      'TOKEN_TTL',
      'DYNAMODB_PARTITION_KEY',
      'SORT_KEY',
      'CACHE_KEY_PREFIX',
    ])
      expect(isCredentialName(n), n).toBe(false);
  });
});

/** A URL with a password, in many schemes (JDBC included) and spellings. */
const scheme = fc.constantFrom(
  'postgres',
  'postgresql',
  'mysql',
  'jdbc:mysql',
  'jdbc:postgresql',
  'jdbc:mariadb',
  'mongodb',
  'mongodb+srv',
  'amqp',
  'amqps',
  'redis',
  'rediss',
  'https',
  'smtp',
  'ftp',
);
const word = fc.stringMatching(/^[A-Za-z0-9_.~-]{1,12}$/);
const host = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5})?$/);
const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });

describe('is a credential: values', () => {
  it('any URL whose userinfo has a password (the user may be empty)', () => {
    fc.assert(
      fc.property(scheme, fc.option(word, { nil: '' }), word, host, port, (sc, user, pw, h, p) => {
        const url = `${sc}://${user}:${pw}@${h}${p ? `:${p}` : ''}/db`;
        expect(credentialInValue(url), url).toBe('a URL with a password');
      }),
      { numRuns: 300 },
    );
  });
  it('URLs without a password are not credentials', () => {
    fc.assert(
      fc.property(scheme, fc.option(word, { nil: undefined }), host, port, (sc, user, h, p) => {
        const url = `${sc}://${user ? `${user}@` : ''}${h}${p ? `:${p}` : ''}/db?sslmode=require`;
        expect(credentialInValue(url), url).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
  it('password parameters and connection strings', () => {
    for (const v of [
      'jdbc:sqlserver://db:1433;databaseName=app;user=sa;password=Hunter2!',
      'jdbc:postgresql://db/app?user=app&password=s3cret',
      'Server=db;Database=app;User Id=sa;Password=Hunter2!;',
      'host=db user=app password=s3cret dbname=app',
      'app:s3cret@tcp(db:3306)/app',
      'https://hooks.example.com/x?token=abc123',
    ])
      expect(credentialInValue(v), v).toBeDefined();
    for (const v of [
      'jdbc:postgresql://db/app?user=app&password=${DB_PASSWORD}',
      'host=db user=app',
      'https://example.com/?page=2',
    ])
      expect(credentialInValue(v), v).toBeUndefined();
  });
});

describe('is a credential: command and health-check arguments', () => {
  const flagged = (argv: string[]) => credentialArguments(argv).map((c) => argv[c.index]);
  it('flags, user:password, MySQL -p, assignments, headers and URLs', () => {
    expect(flagged(['app', '--db-password', 'pw1'])).toEqual(['pw1']);
    expect(flagged(['app', '--password=pw2'])).toEqual(['--password=pw2']);
    expect(flagged(['redis-server', '--requirepass', 'pw3'])).toEqual(['pw3']);
    expect(flagged(['curl', '-f', '-u', 'admin:pw4', 'http://localhost/'])).toEqual(['admin:pw4']);
    expect(flagged(['curl', '-uadmin:pw5', 'http://x/'])).toEqual(['-uadmin:pw5']);
    expect(flagged(['mysqladmin', 'ping', '-h', 'localhost', '-ppw6'])).toEqual(['-ppw6']);
    expect(flagged(['PGPASSWORD=pw7', 'psql', '-h', 'db'])).toEqual(['PGPASSWORD=pw7']);
    expect(flagged(['curl', '-H', 'Authorization: Bearer abc'])).toEqual(['Authorization: Bearer abc']);
    expect(flagged(['migrate', '-database', 'postgres://u:pw8@db/app'])).toEqual(['postgres://u:pw8@db/app']);
    expect(flagged(['app', '--api-key', 'k9'])).toEqual(['k9']);
  });
  it('not variables read at run time, secret files, ports, uid:gid, or unbuffered python', () => {
    expect(flagged(['app', '--db-password', '$DB_PASSWORD'])).toEqual([]);
    expect(flagged(['app', '--password=${PW}'])).toEqual([]);
    expect(flagged(['app', '--password-file', '/run/secrets/db'])).toEqual([]);
    expect(flagged(['redis-cli', '-p', '6379', 'ping'])).toEqual([]);
    expect(flagged(['chown', '-R', '1000:1000', '/data'])).toEqual([]);
    expect(flagged(['docker', 'run', '-u', '1000:1000', 'x'])).toEqual([]);
    expect(flagged(['python', '-u', 'app.py'])).toEqual([]);
    expect(flagged(['mysqladmin', 'ping', '-p$MYSQL_ROOT_PASSWORD'])).toEqual([]);
    expect(flagged(['redis-cli', '-u', 'redis://cache:6379'])).toEqual([]);
    expect(flagged(['postgres', '-c', 'max_connections=200'])).toEqual([]);
  });
  it('masks them for printing, keeping the flag', () => {
    expect(redactArguments(['app', '--db-password', 'pw1', '--password=pw2'])).toEqual([
      'app',
      '--db-password',
      '***',
      '--password=***',
    ]);
    expect(redactArguments(['sh', '-c', 'mysqladmin ping -ppw6 && echo ok'])).toEqual([
      'sh',
      '-c',
      'mysqladmin ping -p*** && echo ok',
    ]);
  });

  it('the gate refuses them in command, entrypoint and healthcheck, located', () => {
    const app = load({
      'compose.yaml': [
        'services:',
        '  api:',
        '    image: example/api:1',
        '    user: "1000"',
        '    command: ["node", "app.js", "--db-password", "pw123"]',
        '    entrypoint: sh -c "PGPASSWORD=pw psql -h db"',
        '    healthcheck:',
        '      test: curl -fsu admin:pw http://localhost/health',
        '  ok:',
        '    image: example/api:1',
        '    user: "1000"',
        '    command: ["sh", "-c", "exec app --db-password \\"$$DB_PASSWORD\\""]',
        '    environment: { DB_PASSWORD: "${DB_PASSWORD}" }',
        '',
      ].join('\n'),
    });
    const refused = gateFindings(app).filter((f) => f.rule === 'secret-argument');
    expect(refused.map((f) => [f.service, f.path, f.location?.line])).toEqual([
      ['api', 'services.api.command[3]', 5],
      ['api', 'services.api.entrypoint[2]', 6],
      ['api', 'services.api.healthcheck.test', 8],
    ]);
    for (const f of refused) expect(f.message).not.toMatch(/pw123|PGPASSWORD=pw\b|admin:pw/);
  });
});

describe('is a credential: literal in the compose file, whatever its syntax', () => {
  it('a default written in the file (${API_TOKEN:-literal}) is literal when the variable is unset', () => {
    const files = {
      'compose.yaml':
        'services:\n  api:\n    image: example/api:1\n    user: "1000"\n    environment:\n      API_TOKEN: ${API_TOKEN:-sk_live_literal}\n      ALT_SECRET: ${FLAG:+s3cret-alt}\n      FROM_ENV: ${FROM_ENV_SECRET}\n',
    };
    expect(open(load(files, { FLAG: '1', FROM_ENV_SECRET: 'x' }))).toEqual([
      'api: plain-secret',
      'api: plain-secret',
    ]);
    expect(open(load(files, { API_TOKEN: 'from-shell', FROM_ENV_SECRET: 'x' }))).toEqual([]);
  });

  it('names and URL forms: MYSQL_PWD, APP_KEY, ENCRYPTION_KEY and a JDBC URL never reach the template', () => {
    const app = load({
      'compose.yaml': [
        'services:',
        '  api:',
        '    image: example/api:1',
        '    user: "1000"',
        '    ports: ["8080:8080"]',
        '    environment:',
        '      JDBC: jdbc:mysql://root:jdbc-pw@db/app',
        '      MYSQL_PWD: mysql-pwd-value',
        '      APP_KEY: base64:app-key-value',
        '      ENCRYPTION_KEY: encryption-key-value',
        '    x-shipshape:',
        '      acknowledge: [{ rule: plain-secret, reason: "test values only, never deployed" }]',
        '',
      ].join('\n'),
    });
    const secrets = app.services[0]!.intent.environment.filter((e) => e.handling === 'secret').map(
      (e) => e.name,
    );
    expect(secrets).toEqual(['APP_KEY', 'ENCRYPTION_KEY', 'JDBC', 'MYSQL_PWD']);
    const cdk = new App({ analyticsReporting: false });
    const stack = new Stack(cdk, 'T', { env: { region: 'us-east-1' } });
    new ComposeApp(stack, 'App', { app: assertCloudReady(app) });
    const template = JSON.stringify(cdk.synth().getStackByName('T').template);
    for (const v of ['jdbc-pw', 'mysql-pwd-value', 'app-key-value', 'encryption-key-value'])
      expect(template).not.toContain(v);
  });
});

describe('config never prints a credential', () => {
  it('masks .env secrets, credential URLs, command arguments and build args', () => {
    const app = load({
      '.env': 'DB_PASSWORD=dotenv-secret-value\n',
      'compose.yaml': [
        'services:',
        '  api:',
        '    build: { context: ., args: { NPM_TOKEN: npm-token-value } }',
        '    environment:',
        '      DB_PASSWORD: ${DB_PASSWORD}',
        '      DATABASE_URL: postgres://app:url-secret-value@db/app',
        '    command: ["app", "--api-key", "argument-secret-value"]',
        '    healthcheck: { test: ["CMD", "curl", "-u", "admin:health-secret-value", "http://localhost"] }',
        '',
      ].join('\n'),
      Dockerfile: 'FROM node:20\nUSER node\n',
    });
    const printed = `${stringify(printableModel(app))}${JSON.stringify(printableModel(app))}`;
    for (const v of [
      'dotenv-secret-value',
      'url-secret-value',
      'argument-secret-value',
      'health-secret-value',
      'npm-token-value',
    ])
      expect(printed).not.toContain(v);
    expect(printableModel(app)).toMatchObject({
      services: { api: { environment: { DATABASE_URL: '***' } } },
    });
  });
});

describe("a datastore's generated password goes only where a password went", () => {
  it('DB_USER, DB_NAME and APP_ENV equal to the local password keep their own values', () => {
    const app = load({
      'compose.yaml': [
        'services:',
        '  api:',
        '    image: example/api:1',
        '    user: "1000"',
        '    depends_on: [db]',
        '    environment:',
        '      DB_HOST: db',
        '      DB_USER: postgres',
        '      DB_NAME: postgres',
        '      APP_ENV: postgres',
        '      DB_PASSWORD: ${DB_PASSWORD}',
        '  db:',
        '    image: postgres:16',
        '    environment:',
        '      POSTGRES_PASSWORD: ${DB_PASSWORD}',
        '',
      ].join('\n'),
      '.env': 'DB_PASSWORD=postgres\n',
    });
    const env = Object.fromEntries(
      app.services[0]!.intent.environment.map((e) => [e.name, JSON.stringify(e.cloud ?? e.handling)]),
    );
    expect(env.DB_PASSWORD).toBe('[{"field":"password"}]');
    for (const n of ['DB_USER', 'DB_NAME', 'APP_ENV']) expect(env[n], n).not.toContain('password');
  });
});
