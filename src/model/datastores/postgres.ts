import { HOST, PASSWORD, variable, type ManagedEngineDescriptor } from './descriptor.js';

export const rdsPostgres: ManagedEngineDescriptor = {
  engine: 'rds-postgres',
  service: 'Amazon RDS for PostgreSQL',
  replaces: ['postgres'],
  versions: ['13', '14', '15', '16', '17'],
  match: 'major',
  port: 5432,
  account: {
    users: ['POSTGRES_USER'],
    defaultUser: 'postgres',
    databases: ['POSTGRES_DB'],
    passwords: ['POSTGRES_PASSWORD'],
  },
  variables: (i) => [
    ...variable('PGHOST', HOST, 'the endpoint (libpq)'),
    ...variable('PGPORT', '5432', 'libpq'),
    ...variable('PGDATABASE', i.credentials?.database ?? i.credentials?.username, 'libpq'),
    ...variable('PGUSER', i.credentials?.username, 'libpq'),
    ...variable('PGPASSWORD', PASSWORD, 'the generated password (Secrets Manager)'),
  ],
};
