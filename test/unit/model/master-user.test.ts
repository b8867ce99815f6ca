/**
 * Reserved master user names: a name the managed service refuses (RDS for PostgreSQL rejects
 * `admin`) maps to the engine's default, callers receive that name, and `config` says why.
 */
import { describe, expect, it } from 'vitest';
import { masterUser, refusedMasterUser } from '../../../src/model/intent/master-user.js';
import { loadApp } from '../../../src/model/load.js';
import type { ServiceModel } from '../../../src/model/types.js';
import { composeDir } from '../../support/compose-dir.js';

const load = (compose: string) => loadApp([], { cwd: composeDir({ 'compose.yaml': compose }), env: {} });
const svc = (app: ReturnType<typeof loadApp>, name: string): ServiceModel =>
  app.services.find((s) => s.name === name)!;

describe('which master user names each managed engine refuses', () => {
  it.each([
    ['rds-postgres', 'admin', true],
    ['rds-postgres', 'postgres', false],
    ['rds-postgres', 'user', true],
    ['rds-postgres', 'pg_app', true],
    ['rds-postgres', 'rds_superuser', true],
    ['rds-postgres', 'rdsadmin', true],
    ['rds-postgres', 'app_owner', false],
    ['rds-mysql', 'admin', false],
    ['rds-mysql', 'root', false],
    ['rds-mysql', 'rdsadmin', true],
    ['rds-mysql', 'select', true],
    ['rds-mariadb', 'rdsrepladmin', true],
    ['rds-mariadb', 'a_name_longer_than_16', true],
    ['rds-mysql', 'a_name_longer_than_16', false],
    ['rds-postgres', '1app', true],
    ['documentdb', 'admin', true],
    ['documentdb', 'docs', false],
  ] as const)('%s %s refused: %s', (engine, name, refused) => {
    expect(refusedMasterUser(engine, name) !== undefined).toBe(refused);
  });

  it('a refused name maps to the fallback, with the reason; an accepted one is kept as is', () => {
    expect(masterUser('rds-postgres', 'admin', 'postgres', 'POSTGRES_USER')).toEqual({
      username: 'postgres',
      reason:
        'POSTGRES_USER admin is not accepted (admin is a reserved name in Amazon RDS for PostgreSQL): the master user is postgres, and callers get postgres',
    });
    expect(masterUser('rds-postgres', 'shop', 'postgres')).toEqual({ username: 'shop' });
    expect(masterUser('rds-postgres', undefined, 'postgres')).toEqual({ username: 'postgres' });
  });
});

describe('POSTGRES_USER: admin in a compose app', () => {
  const app = load(`
services:
  api:
    image: registry.example.com/api:1
    environment:
      DB_HOST: db
      DB_USER: admin
    depends_on: [db]
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: admin
      POSTGRES_DB: shop
`);

  it('the database is created with postgres, not the reserved admin', () => {
    expect(svc(app, 'db').intent.datastore?.credentials).toMatchObject({
      username: 'postgres',
      database: 'shop',
      usernameReason: expect.stringMatching(/POSTGRES_USER admin is not accepted/),
    });
  });

  it("callers receive the created name: their DB_USER and libpq's PGUSER", () => {
    const api = svc(app, 'api');
    expect(api.intent.environment.find((e) => e.name === 'DB_USER')).toMatchObject({
      handling: 'datastore',
      cloud: ['postgres'],
    });
    const pguser = api.intent.connections[0]!.variables.find((v) => v.name === 'PGUSER');
    expect(pguser?.value).toEqual(['postgres']);
  });

  it('config prints the decision and its reason', () => {
    const text = app.intent.decisions.map((d) => d.text).join('\n');
    expect(text).toMatch(
      /db: user postgres \(POSTGRES_USER admin is not accepted \(admin is a reserved name in Amazon RDS for PostgreSQL\)/,
    );
  });
});
