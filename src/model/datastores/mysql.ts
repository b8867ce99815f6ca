import type { DatastoreIntent, ManagedEngine } from '../types.js';
import { HOST, PASSWORD, variable, type ManagedEngineDescriptor } from './descriptor.js';

/** The variables MySQL clients read (MariaDB's too). */
const mysqlVariables = (i: DatastoreIntent & { engine: ManagedEngine }) => [
  ...variable('MYSQL_HOST', HOST, 'the endpoint'),
  ...variable('MYSQL_PORT', '3306', 'MySQL clients'),
  ...variable('MYSQL_DATABASE', i.credentials?.database, 'MySQL clients'),
  ...variable('MYSQL_USER', i.credentials?.username, 'MySQL clients'),
  ...variable('MYSQL_PASSWORD', PASSWORD, 'the generated password (Secrets Manager)'),
];

export const rdsMysql: ManagedEngineDescriptor = {
  engine: 'rds-mysql',
  service: 'Amazon RDS for MySQL',
  replaces: ['mysql'],
  versions: ['8.0', '8.4'],
  match: 'major',
  port: 3306,
  account: {
    users: ['MYSQL_USER'],
    defaultUser: 'root',
    databases: ['MYSQL_DATABASE'],
    passwords: ['MYSQL_PASSWORD', 'MYSQL_ROOT_PASSWORD'],
    builtInUsers: ['root'],
  },
  variables: mysqlVariables,
};

export const rdsMariadb: ManagedEngineDescriptor = {
  engine: 'rds-mariadb',
  service: 'Amazon RDS for MariaDB',
  replaces: ['mariadb'],
  versions: ['10.6', '10.11', '11.4', '11.8'],
  match: 'major',
  port: 3306,
  account: {
    users: ['MARIADB_USER', 'MYSQL_USER'],
    defaultUser: 'root',
    databases: ['MARIADB_DATABASE', 'MYSQL_DATABASE'],
    passwords: ['MARIADB_PASSWORD', 'MYSQL_PASSWORD', 'MARIADB_ROOT_PASSWORD', 'MYSQL_ROOT_PASSWORD'],
    builtInUsers: ['root'],
  },
  variables: mysqlVariables,
};
