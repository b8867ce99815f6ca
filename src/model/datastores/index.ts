import type { DatastoreKind, ManagedEngine } from '../types.js';
import type { ManagedEngineDescriptor } from './descriptor.js';
import { documentdb } from './documentdb.js';
import { dynamodb } from './dynamodb.js';
import { elasticacheMemcached } from './memcached.js';
import { rdsMariadb, rdsMysql } from './mysql.js';
import { rdsPostgres } from './postgres.js';
import { elasticacheRedis, elasticacheValkey } from './redis.js';
import { s3 } from './s3.js';

export type { ManagedEngineDescriptor } from './descriptor.js';

/** Every managed engine, by name. */
export const MANAGED_ENGINES: Readonly<Record<ManagedEngine, ManagedEngineDescriptor>> = {
  'rds-postgres': rdsPostgres,
  'rds-mysql': rdsMysql,
  'rds-mariadb': rdsMariadb,
  'elasticache-redis': elasticacheRedis,
  'elasticache-valkey': elasticacheValkey,
  'elasticache-memcached': elasticacheMemcached,
  documentdb,
  dynamodb,
  s3,
};

/** The managed engine that replaces a compose datastore kind, when one does. */
export function engineReplacing(kind: DatastoreKind): ManagedEngineDescriptor | undefined {
  return Object.values(MANAGED_ENGINES).find((d) => d.replaces.includes(kind));
}
