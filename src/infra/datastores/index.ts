import type { Construct } from 'constructs';
import type { ManagedEngine } from '../../model/types.js';
import { MANAGED_ENGINES } from '../../model/datastores/index.js';
import type { ManagedDatastore, ManagedDatastoreProps, NetworkDatastoreProps } from './base.js';
import { CacheReplicationGroup, MemcachedCluster } from './cache.js';
import { DocumentDatabase } from './documentdb.js';
import { DynamoTables } from './dynamodb.js';
import { ObjectStore } from './object-store.js';
import { MariaDbDatabase, MysqlDatabase, PostgresDatabase } from './rds.js';

export { ManagedDatastore, NetworkDatastore, type ResolvedValue } from './base.js';
export type { ManagedDatastoreProps, NetworkDatastoreProps } from './base.js';
export { CacheReplicationGroup, MemcachedCluster } from './cache.js';
export { DocumentDatabase } from './documentdb.js';
export { DynamoTables, tableName } from './dynamodb.js';
export { ObjectStore, bucketPrefix } from './object-store.js';
export { MariaDbDatabase, MysqlDatabase, PostgresDatabase, RdsDatabase, engineVersion } from './rds.js';

/** Engines reached over the network (a security group, isolated subnets); the others through IAM. */
/** Engines reached over the network (on a port, in the VPC), as their descriptors say. */
export const NETWORK_ENGINES: ReadonlySet<ManagedEngine> = new Set(
  Object.values(MANAGED_ENGINES)
    .filter((d) => d.port !== undefined)
    .map((d) => d.engine),
);

export interface DatastoreFactoryProps extends ManagedDatastoreProps {
  /** For network engines: VPC, security group and isolated subnets. */
  readonly network?: Omit<NetworkDatastoreProps, keyof ManagedDatastoreProps>;
  /** The app and environment names (DynamoDB table names). */
  readonly app: string;
  readonly environment: string;
  /** The account deployed to (static bucket names). @default the stack's account, else AWS::AccountId */
  readonly account?: string;
  /** @default 30 */
  readonly logRetentionDays?: number;
}

/** The construct for the managed service the model chose for a datastore. */
export function newManagedDatastore(
  scope: Construct,
  id: string,
  props: DatastoreFactoryProps,
): ManagedDatastore {
  const engine = props.service.intent.datastore?.engine;
  const base = { service: props.service, production: props.production };
  const net = () => {
    if (!props.network) throw new Error(`internal: ${props.service.name} needs a network`);
    return { ...base, ...props.network };
  };
  switch (engine) {
    case 'rds-postgres':
      return new PostgresDatabase(scope, id, net());
    case 'rds-mysql':
      return new MysqlDatabase(scope, id, net());
    case 'rds-mariadb':
      return new MariaDbDatabase(scope, id, net());
    case 'elasticache-redis':
    case 'elasticache-valkey':
      return new CacheReplicationGroup(scope, id, { ...net(), logRetentionDays: props.logRetentionDays });
    case 'elasticache-memcached':
      return new MemcachedCluster(scope, id, net());
    case 'documentdb':
      return new DocumentDatabase(scope, id, net());
    case 'dynamodb':
      return new DynamoTables(scope, id, { ...base, app: props.app, environment: props.environment });
    case 's3':
      return new ObjectStore(scope, id, {
        ...base,
        app: props.app,
        environment: props.environment,
        account: props.account,
      });
    default:
      throw new Error(`internal: ${props.service.name} is not a managed datastore`);
  }
}
