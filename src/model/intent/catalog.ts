import type { DatastoreKind, EntryProtocol, ImageRef } from '../types.js';
import { engineReplacing, type ManagedEngineDescriptor } from '../datastores/index.js';

/**
 * What shipshape knows about well-known images and ports, in one place: which images are
 * datastores (never public, managed or private in the cloud), which ports speak something other
 * than HTTP, and which images run as a non-root user by default.
 */

interface DatastoreEntry {
  kind: DatastoreKind;
  port: number;
  /** Repository names (last path segment) or full repository paths that identify it. */
  names: string[];
}

const DATASTORES: DatastoreEntry[] = [
  {
    kind: 'postgres',
    port: 5432,
    names: [
      'postgres',
      'postgresql',
      'postgis',
      'timescaledb',
      'timescaledb-ha',
      'pgvector',
      'citus',
      'pgvecto-rs',
    ],
  },
  { kind: 'mysql', port: 3306, names: ['mysql', 'mysql-server', 'percona', 'percona-server'] },
  { kind: 'mariadb', port: 3306, names: ['mariadb'] },
  {
    kind: 'redis',
    port: 6379,
    names: [
      'redis',
      'redis-stack',
      'redis-stack-server',
      'redismod',
      'keydb',
      'dragonfly',
      'garnet',
      'kvrocks',
    ],
  },
  { kind: 'valkey', port: 6379, names: ['valkey'] },
  { kind: 'memcached', port: 11211, names: ['memcached'] },
  { kind: 'mongo', port: 27017, names: ['mongo', 'mongodb', 'mongodb-community-server'] },
  { kind: 'elasticsearch', port: 9200, names: ['elasticsearch'] },
  { kind: 'opensearch', port: 9200, names: ['opensearch'] },
  { kind: 'rabbitmq', port: 5672, names: ['rabbitmq'] },
  { kind: 'kafka', port: 9092, names: ['kafka', 'cp-kafka', 'cp-server', 'redpanda'] },
  { kind: 'zookeeper', port: 2181, names: ['zookeeper', 'cp-zookeeper'] },
  { kind: 'cassandra', port: 9042, names: ['cassandra', 'scylla'] },
  { kind: 'mssql', port: 1433, names: ['mssql/server', 'azure-sql-edge'] },
  { kind: 'dynamodb-local', port: 8000, names: ['dynamodb-local'] },
  { kind: 's3-compatible', port: 9000, names: ['minio', 's3mock'] },
  { kind: 'etcd', port: 2379, names: ['etcd'] },
  { kind: 'nats', port: 4222, names: ['nats'] },
  { kind: 'clickhouse', port: 8123, names: ['clickhouse-server', 'clickhouse'] },
  { kind: 'influxdb', port: 8086, names: ['influxdb'] },
  { kind: 'neo4j', port: 7687, names: ['neo4j'] },
  { kind: 'couchdb', port: 5984, names: ['couchdb'] },
  { kind: 'cockroachdb', port: 26257, names: ['cockroach', 'cockroachdb'] },
  {
    kind: 'mqtt',
    port: 1883,
    names: ['eclipse-mosquitto', 'mosquitto', 'emqx', 'vernemq', 'hivemq4', 'hivemq-ce', 'nanomq'],
  },
  // Connection poolers and proxies in front of a database speak its protocol and carry its users.
  { kind: 'pooler', port: 6432, names: ['pgbouncer', 'pgcat', 'odyssey', 'pgbouncer-docker'] },
  { kind: 'pooler', port: 6543, names: ['supavisor'] },
  { kind: 'pooler', port: 9999, names: ['pgpool', 'pgpool2', 'pgpool-ii'] },
  { kind: 'pooler', port: 6033, names: ['proxysql'] },
  { kind: 'pooler', port: 4006, names: ['maxscale'] },
  { kind: 'pooler', port: 22121, names: ['twemproxy', 'nutcracker'] },
  { kind: 'database', port: 5433, names: ['yugabyte', 'yugabytedb'] },
  { kind: 'database', port: 4000, names: ['tidb'] },
  { kind: 'database', port: 28015, names: ['rethinkdb'] },
  { kind: 'database', port: 8529, names: ['arangodb'] },
  { kind: 'database', port: 8812, names: ['questdb'] },
  { kind: 'database', port: 5701, names: ['hazelcast'] },
  { kind: 'database', port: 8091, names: ['couchbase', 'couchbase-server'] },
  { kind: 'database', port: 7687, names: ['memgraph', 'memgraph-platform'] },
  { kind: 'database', port: 6333, names: ['qdrant'] },
  { kind: 'database', port: 19530, names: ['milvus'] },
  { kind: 'database', port: 8080, names: ['weaviate'] },
  { kind: 'database', port: 8000, names: ['chroma'] },
  { kind: 'database', port: 8000, names: ['surrealdb'] },
  {
    kind: 'database',
    port: 1521,
    names: ['oracle-database', 'oracle-xe', 'oracle-free', 'database/enterprise', 'database/free'],
  },
  { kind: 'database', port: 50000, names: ['db2', 'db2_community/db2'] },
  { kind: 'database', port: 3050, names: ['firebird', 'firebirdsql'] },
  { kind: 'database', port: 5432, names: ['crate', 'cratedb'] },
  { kind: 'database', port: 9851, names: ['tile38'] },
  { kind: 'database', port: 8087, names: ['riak', 'riak-kv'] },
  { kind: 'database', port: 10800, names: ['ignite'] },
  { kind: 'database', port: 9090, names: ['prometheus'] },
  // Message brokers and queues: callers' private backends, like RabbitMQ and Kafka.
  {
    kind: 'database',
    port: 61616,
    names: ['activemq', 'activemq-artemis', 'activemq-classic', 'artemis'],
  },
  { kind: 'database', port: 6650, names: ['pulsar', 'pulsar-all'] },
  { kind: 'database', port: 11300, names: ['beanstalkd'] },
  { kind: 'database', port: 4150, names: ['nsq'] },
  // Search engines: the app's index, called by its backend.
  { kind: 'database', port: 8983, names: ['solr'] },
  { kind: 'database', port: 7700, names: ['meilisearch'] },
  { kind: 'database', port: 8108, names: ['typesense'] },
  { kind: 'database', port: 7280, names: ['quickwit'] },
  // Secret stores and service registries: never facing the internet.
  { kind: 'database', port: 8200, names: ['vault', 'openbao'] },
  { kind: 'database', port: 8500, names: ['consul'] },
];

/**
 * Ports whose protocol is a datastore's (SQL, key-value, brokers, poolers): whatever the image, a
 * port that speaks one of these is never an internet entry.
 */
const DATASTORE_PORTS = new Map<number, string>([
  [1433, 'SQL Server'],
  [1521, 'Oracle'],
  [1883, 'MQTT'],
  [2181, 'ZooKeeper'],
  [2379, 'etcd'],
  [3306, 'MySQL'],
  [4222, 'NATS'],
  [5432, 'PostgreSQL'],
  [5433, 'PostgreSQL (second instance, YugabyteDB)'],
  [5672, 'AMQP'],
  [5671, 'AMQP over TLS'],
  [5984, 'CouchDB'],
  [6379, 'Redis'],
  [6380, 'Redis (second instance)'],
  [6432, 'PgBouncer'],
  [6543, 'Supavisor'],
  [6033, 'ProxySQL'],
  [7687, 'Bolt (Neo4j, Memgraph)'],
  [8086, 'InfluxDB'],
  [8529, 'ArangoDB'],
  [8812, 'QuestDB'],
  [8883, 'MQTT over TLS'],
  [9042, 'Cassandra'],
  [9092, 'Kafka'],
  [9200, 'Elasticsearch'],
  [9300, 'Elasticsearch transport'],
  [11211, 'memcached'],
  [15672, 'RabbitMQ management'],
  [19530, 'Milvus'],
  [26257, 'CockroachDB SQL'],
  [27017, 'MongoDB'],
  [27018, 'MongoDB shard'],
  [28015, 'RethinkDB'],
  [3050, 'Firebird'],
  [4150, 'NSQ'],
  [6650, 'Pulsar'],
  [9851, 'Tile38'],
  [10800, 'Ignite thin client'],
  [11300, 'beanstalkd'],
  [61613, 'STOMP'],
  [61616, 'ActiveMQ OpenWire'],
]);

/** The datastore protocol a port speaks, when it is one. */
export function datastorePortProtocol(port: number): string | undefined {
  return DATASTORE_PORTS.get(port);
}

/**
 * Tools that administer a datastore or catch a developer's mail: local tools, never part of the
 * deployed app (they would face the internet with the database's credentials). By repository name.
 */
const ADMIN_TOOLS: { names: string[]; what: string }[] = [
  { names: ['phpmyadmin'], what: 'phpMyAdmin' },
  { names: ['adminer'], what: 'Adminer' },
  { names: ['pgadmin4', 'pgadmin'], what: 'pgAdmin' },
  { names: ['pgweb'], what: 'pgweb' },
  { names: ['mongo-express'], what: 'mongo-express' },
  { names: ['redis-commander'], what: 'Redis Commander' },
  { names: ['redisinsight', 'redis-insight'], what: 'RedisInsight' },
  { names: ['phpredisadmin'], what: 'phpRedisAdmin' },
  { names: ['kafka-ui', 'kafdrop', 'akhq', 'redpanda-console', 'console'], what: 'a Kafka console' },
  { names: ['cloudbeaver'], what: 'CloudBeaver' },
  { names: ['sqlpad'], what: 'SQLPad' },
  { names: ['dbgate'], what: 'DbGate' },
  { names: ['elasticvue', 'cerebro', 'dejavu'], what: 'an Elasticsearch console' },
  { names: ['mailhog', 'mailpit', 'maildev', 'mailcatcher', 'smtp4dev', 'inbucket'], what: 'a mail catcher' },
  { names: ['kibana', 'opensearch-dashboards'], what: 'a search console' },
  { names: ['flower', 'bull-board', 'management-center', 'rabbitmq-admin'], what: 'a queue console' },
  {
    names: ['jupyter', 'base-notebook', 'minimal-notebook', 'scipy-notebook', 'datascience-notebook'],
    what: 'a notebook (it runs any code it is given)',
  },
];

/** The admin or debug tool an image is (`phpMyAdmin`), else undefined. */
export function adminToolOf(ref: ImageRef): string | undefined {
  // `redpanda-console` and `console` only from Redpanda's repository.
  if (ref.name === 'console' && !/redpanda/.test(ref.repository)) return undefined;
  return ADMIN_TOOLS.find((t) => t.names.includes(ref.name))?.what;
}

/** The datastore an image is, by its repository name; undefined for anything else. */
export function datastoreOf(ref: ImageRef): { kind: DatastoreKind; port: number } | undefined {
  const path = ref.repository.replace(/^library\//, '');
  const hit = DATASTORES.find((d) =>
    d.names.some((n) => (n.includes('/') ? path.endsWith(n) : ref.name === n)),
  );
  return hit ? { kind: hit.kind, port: hit.port } : undefined;
}

/** The default client port of a datastore kind. */
export function datastorePort(kind: DatastoreKind): number {
  return DATASTORES.find((d) => d.kind === kind)!.port;
}

/**
 * Ports that speak something other than HTTP (databases, brokers, mail, DNS, log shipping, game
 * servers, VPNs).
 * An entry on one of these gets a Network Load Balancer, never an HTTP target group.
 */
const NON_HTTP_PORTS = new Map<number, string>([
  [5984, 'CouchDB'],
  [28015, 'RethinkDB'],
  [5433, 'PostgreSQL'],
  [6033, 'ProxySQL'],
  [6543, 'Supavisor'],
  [6432, 'PgBouncer'],
  [21, 'FTP'],
  [22, 'SSH'],
  [23, 'Telnet'],
  [25, 'SMTP'],
  [53, 'DNS'],
  [110, 'POP3'],
  [143, 'IMAP'],
  [389, 'LDAP'],
  [445, 'SMB'],
  [465, 'SMTPS'],
  [514, 'syslog'],
  [587, 'SMTP submission'],
  [636, 'LDAPS'],
  [993, 'IMAPS'],
  [995, 'POP3S'],
  [1194, 'OpenVPN'],
  [1433, 'SQL Server'],
  [1521, 'Oracle'],
  [1883, 'MQTT'],
  [1935, 'RTMP'],
  [2049, 'NFS'],
  [2181, 'ZooKeeper'],
  [2379, 'etcd'],
  [3306, 'MySQL'],
  [3389, 'RDP'],
  [3478, 'STUN/TURN'],
  [4222, 'NATS'],
  [4369, 'Erlang port mapper'],
  [5044, 'Beats (Logstash)'],
  [5060, 'SIP'],
  [5222, 'XMPP'],
  [5432, 'PostgreSQL'],
  [5671, 'AMQP over TLS'],
  [5672, 'AMQP'],
  [6379, 'Redis'],
  [6514, 'syslog over TLS'],
  [6667, 'IRC'],
  [7687, 'Bolt (Neo4j)'],
  [8883, 'MQTT over TLS'],
  [9042, 'Cassandra'],
  [9092, 'Kafka'],
  [9300, 'Elasticsearch transport'],
  [11211, 'memcached'],
  [12201, 'GELF'],
  [19132, 'Minecraft Bedrock'],
  [24224, 'Fluentd forward'],
  [25565, 'Minecraft'],
  [25672, 'RabbitMQ clustering'],
  [26257, 'CockroachDB SQL'],
  [27015, 'Source game server'],
  [27017, 'MongoDB'],
  [51820, 'WireGuard'],
]);

/** The protocol name of a well-known non-HTTP port, else undefined. */
export function nonHttpPort(port: number): string | undefined {
  return NON_HTTP_PORTS.get(port);
}

/** Ports that conventionally carry HTTPS (TLS terminated by the container). */
export const HTTPS_PORTS = new Set([443, 8443, 9443]);

/** Compose `app_protocol` values and what the load balancer does with them. */
export function appProtocolOf(value: string): EntryProtocol | undefined {
  const v = value.toLowerCase();
  if (v === 'http' || v === 'http2' || v === 'h2c' || v === 'ws' || v === 'grpc') return 'http';
  if (v === 'https' || v === 'wss' || v === 'h2' || v === 'grpcs') return 'https';
  if (v === 'tcp' || v === 'tls') return 'tcp';
  if (v === 'udp') return 'udp';
  return undefined;
}

/**
 * Images whose default user is not root, with that user. Only images whose Dockerfiles set `USER`
 * are listed; anything else is treated as root until compose says `user:`.
 */
const NON_ROOT_IMAGES: { match: (ref: ImageRef) => boolean; user: string }[] = [
  { match: (r) => r.repository === 'grafana/grafana' || r.repository === 'grafana/grafana-oss', user: '472' },
  { match: (r) => r.repository.startsWith('prom/'), user: 'nobody' },
  { match: (r) => /(^|\/)(elasticsearch|kibana|logstash)$/.test(r.repository), user: '1000' },
  { match: (r) => r.repository === 'opensearchproject/opensearch', user: '1000' },
  { match: (r) => r.repository.startsWith('bitnami/'), user: '1001' },
  { match: (r) => r.repository === 'nginxinc/nginx-unprivileged', user: '101' },
  {
    match: (r) =>
      r.registry === 'gcr.io' && r.repository.startsWith('distroless/') && /nonroot/.test(r.tag ?? ''),
    user: '65532',
  },
  {
    match: (r) =>
      r.registry === 'cgr.dev' && r.repository.startsWith('chainguard/') && !/-dev$/.test(r.tag ?? ''),
    user: '65532',
  },
  { match: (r) => r.registry === 'quay.io' && r.repository === 'keycloak/keycloak', user: '1000' },
  { match: (r) => r.repository === 'jenkins/jenkins', user: '1000' },
];

/** The non-root default user of a well-known image; undefined when unknown (or root). */
export function knownImageUser(ref: ImageRef): string | undefined {
  return NON_ROOT_IMAGES.find((i) => i.match(ref))?.user;
}

/**
 * How the official image of a datastore runs: where it keeps its data, the unprivileged user its
 * entrypoint switches to from root (the same uid/gid in every official image of that kind, except
 * where the Alpine variant differs), and directories it writes besides its data (a socket
 * directory), which a read-only root filesystem must provide as scratch space.
 */
interface DatastoreRuntime {
  dataDir: string;
  /** `uid:gid` of the image's data user. */
  user: string;
  /** `uid:gid` in the Alpine variant, when it differs. */
  alpineUser?: string;
  writable: string[];
}

const RUNTIME: Partial<Record<DatastoreKind, DatastoreRuntime>> = {
  postgres: {
    dataDir: '/var/lib/postgresql/data',
    user: '999:999',
    alpineUser: '70:70',
    writable: ['/var/run/postgresql'],
  },
  mysql: { dataDir: '/var/lib/mysql', user: '999:999', writable: ['/var/run/mysqld'] },
  mariadb: { dataDir: '/var/lib/mysql', user: '999:999', writable: ['/run/mysqld'] },
  redis: { dataDir: '/data', user: '999:999', alpineUser: '999:1000', writable: [] },
  valkey: { dataDir: '/data', user: '999:999', alpineUser: '999:1000', writable: [] },
  mongo: { dataDir: '/data/db', user: '999:999', writable: [] },
};

/**
 * Docker official images only (also through a mirror such as `public.ecr.aws/docker/library/`): a
 * datastore image from another publisher (bitnami) has its own layout and users.
 */
const isOfficial = (ref: ImageRef) => /(^|\/)library\/[^/]+$/.test(ref.repository);

/** How the official image of a datastore runs, for official images of the kinds listed above. */
export function datastoreRuntime(
  kind: DatastoreKind,
  ref: ImageRef,
): { dataDir: string; user: string; writable: string[] } | undefined {
  const r = RUNTIME[kind];
  if (!r || !isOfficial(ref)) return undefined;
  const alpine = /alpine/.test(ref.tag ?? '');
  return { dataDir: r.dataDir, user: alpine && r.alpineUser ? r.alpineUser : r.user, writable: r.writable };
}

/** How a datastore kind becomes a managed AWS service: its engine's descriptor (src/model/datastores/). */
export type ManagedMapping = ManagedEngineDescriptor;

/**
 * Images of a managed kind that the managed service cannot stand in for: Redis Stack and KeyDB
 * ship modules and commands ElastiCache lacks; Percona builds add their own plugins; TimescaleDB
 * is an extension RDS does not offer (PostGIS it does).
 */
const NOT_MANAGEABLE = new Map([
  ['dragonfly', 'Dragonfly is its own engine, not in ElastiCache'],
  ['garnet', 'Garnet is its own engine, not in ElastiCache'],
  ['kvrocks', 'Kvrocks is its own engine, not in ElastiCache'],
  ['citus', 'RDS does not offer the Citus extension'],
  ['pgvecto-rs', 'RDS does not offer the pgvecto.rs extension'],
  ['redis-stack', 'its modules (search, JSON, time series) are not in ElastiCache'],
  ['redis-stack-server', 'its modules (search, JSON, time series) are not in ElastiCache'],
  ['redismod', 'its modules (search, JSON, graph, time series) are not in ElastiCache'],
  ['keydb', 'KeyDB commands and multithreading are not in ElastiCache'],
  ['percona', 'Percona Server plugins are not in RDS'],
  ['percona-server', 'Percona Server plugins are not in RDS'],
  ['timescaledb', 'RDS does not offer the TimescaleDB extension'],
  ['timescaledb-ha', 'RDS does not offer the TimescaleDB extension'],
]);

/** Why an image of a managed kind stays a container, when it does. */
export function notManageable(ref: ImageRef): string | undefined {
  return NOT_MANAGEABLE.get(ref.name);
}

/** The managed mapping of a datastore image; undefined when it has none. */
export function managedMappingFor(kind: DatastoreKind, ref: ImageRef): ManagedMapping | undefined {
  return NOT_MANAGEABLE.has(ref.name) ? undefined : engineReplacing(kind);
}

export function managedServiceFor(kind: DatastoreKind): string | undefined {
  return engineReplacing(kind)?.service;
}

/**
 * Ports a service declares through the labels of well-known reverse proxies (Traefik's
 * `traefik.http.services.NAME.loadbalancer.server.port=80`): the proxy will call it there.
 */
export function labelledPorts(labels: Readonly<Record<string, string>>): number[] {
  return Object.entries(labels)
    .filter(([k]) => /^traefik\.(http|tcp|udp)\.services\.[^.]+\.loadbalancer\.server\.port$/.test(k))
    .map(([, v]) => Number(v))
    .filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
}
