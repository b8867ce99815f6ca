/**
 * The app model: the one typed description of a compose app that every shipshape command reads.
 * Produced by `loadApp` (src/model/load.ts); nothing outside src/model parses compose.
 *
 * Conventions: durations are milliseconds, sizes are bytes, paths are absolute, every list is
 * present (possibly empty) so consumers never test for `undefined` lists.
 */

/** Where something was written: file, 1-based line and column. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export type Protocol = 'tcp' | 'udp';

export interface PortMapping {
  /** Port inside the container. */
  target: number;
  /** Compose long-syntax `app_protocol` (e.g. `http`, `https`, `grpc`), when written. */
  appProtocol?: string;
  /** Host port; undefined means "any free port" (compose short syntax `"8080"`). */
  published?: number;
  /**
   * Last port of a host port range (`"8000-9000:80"`, long syntax `published: "8000-9000"`):
   * the engine binds one free port from `published` to `publishedEnd`. Undefined for one port.
   */
  publishedEnd?: number;
  /** Host address to bind; undefined means the engine default. */
  hostIp?: string;
  protocol: Protocol;
}

export interface BuildSpec {
  /** Absolute path of the build context. */
  context: string;
  /** Dockerfile path relative to the context. Default `Dockerfile`. */
  dockerfile: string;
  /** `build.dockerfile_inline`: the Dockerfile written in the compose file itself (then `dockerfile` is unused). */
  dockerfileInline?: string;
  args: Record<string, string>;
  target?: string;
}

export interface HealthCheck {
  /** Normalized test: `['CMD', ...]` or `['CMD-SHELL', cmd]`; `['NONE']` when disabled. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
  disabled: boolean;
}

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface Dependency {
  service: string;
  condition: DependencyCondition;
  /** Compose `required` (default true). */
  required: boolean;
  /** Compose `restart` (default false). */
  restart: boolean;
}

export interface ServiceVolume {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Named volume or absolute host path; undefined for anonymous volumes and tmpfs. */
  source?: string;
  target: string;
  readOnly: boolean;
}

export interface TmpfsMount {
  target: string;
  /** Mount options as written after the path (`size=64m,mode=1777`), possibly empty. */
  options: string;
}

/** One host-only compose setting (see `ServiceModel.hostSettings`). */
export interface HostSetting {
  /** The compose key (`sysctls`, `userns_mode`). */
  key: string;
  /** The value as written (`host`, `net.core.somaxconn=1024`). */
  value: string;
}

export interface ServiceSecret {
  /** Name of the top-level secret. */
  source: string;
  /** Path in the container. Default `/run/secrets/<source>`. */
  target: string;
}

export interface ResourceSpec {
  /** CPUs as a fraction, e.g. 0.5. */
  cpus?: number;
  memoryBytes?: number;
  pids?: number;
}

export interface Resources {
  limits: ResourceSpec;
  reservations: ResourceSpec;
}

/** Per-service `x-shipshape` block. */
export interface ServiceExtension {
  /** Overrides the derived public/private decision. Default: public iff the service publishes a port. */
  public?: boolean;
  /** HTTP path used by load balancers and probes. Default `/`. */
  healthPath: string;
  /** Services (besides `depends_on` callers) that may call this one. Default none. */
  allowFrom: string[];
  /** Cloud autoscaling. Default: fixed at `replicas`. */
  scaling?: { min: number; max: number; targetCpuPercent: number };
  /** `shipshape slim` options. */
  slim: { probes: string[]; include: string[]; exclude: string[]; test?: string };
  /** Unsafe settings the user explicitly accepts, with the reason. Default none. */
  acknowledge: Acknowledgement[];
  /** Protocol of container ports, overriding the inferred one (`{ 25565: tcp }`). Default none. */
  protocols: Record<number, EntryProtocol>;
  /** Services this one does not call, though depends_on or a reference suggests it. Default none. */
  ignoreEdges: string[];
  /** Keep the service out of the cloud (local tools such as a Docker UI). Default false. */
  localOnly: boolean;
  /**
   * Run once to completion (a migration, a setup step): a one-off task in the cloud, not a service.
   * Default: decided by the model (`intent.placement`).
   */
  job?: boolean;
  /** For a recognized datastore: `false` keeps it a container instead of the managed service. Default true. */
  managed: boolean;
  /** For a DynamoDB stand-in (`amazon/dynamodb-local`): the tables to create. Default one table `main` (pk, sk). */
  tables: TableSpec[];
  /** For an S3 stand-in (`minio/minio` and the like): the buckets to create. Default one bucket `data`. */
  buckets: string[];
}

/** A DynamoDB table declared in `x-shipshape.tables`. */
export interface TableSpec {
  /** The name callers use locally (the cloud name is prefixed with app and environment). */
  name: string;
  partitionKey: TableKey;
  sortKey?: TableKey;
  /** Attribute holding the expiry time (TTL). Default none. */
  ttlAttribute?: string;
}

export interface TableKey {
  name: string;
  /** DynamoDB attribute type: `S` string, `N` number, `B` binary. */
  type: 'S' | 'N' | 'B';
}

export type UnsafeRule = 'privileged' | 'host-network' | 'plain-secret' | 'root-user' | 'added-capability';

export interface Acknowledgement {
  /** The rule acknowledged. */
  rule: UnsafeRule;
  reason: string;
}

export interface ServiceModel {
  name: string;
  /** Compose `container_name`, `hostname` and network aliases: other names callers may use. */
  aliases: string[];
  image?: string;
  build?: BuildSpec;
  command?: string[];
  entrypoint?: string[];
  /** Resolved environment: `env_file`s first, then `environment`. Values are strings. */
  environment: Record<string, string>;
  ports: PortMapping[];
  /** Container ports declared with `expose`. */
  expose: number[];
  /** Container ports declared only over UDP (`ports: ["53:53/udp"]`, `expose: ["514/udp"]`). */
  udpPorts: number[];
  /** Compose `links`: other services this one reaches, each under the name it uses (`api:backend`). */
  links: { service: string; alias: string }[];
  /** Container ports compose declares: `ports` targets and `expose`. (`intent.listenPorts` has them all.) */
  servicePorts: number[];
  /** `deploy.replicas`, default 1. */
  replicas: number;
  resources: Resources;
  healthcheck?: HealthCheck;
  dependsOn: Dependency[];
  user?: string;
  /** Compose `read_only`; undefined when unset (shipshape's hardened default is read-only). */
  readOnly?: boolean;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  networkMode?: string;
  /** Compose networks the service joins (default `['default']`). */
  networks: string[];
  volumes: ServiceVolume[];
  secrets: ServiceSecret[];
  profiles: string[];
  labels: Record<string, string>;
  restart?: string;
  workingDir?: string;
  stopSignal?: string;
  securityOpt: string[];
  /** Compose `tmpfs` as parsed mounts. */
  tmpfs: TmpfsMount[];
  /** Compose `pid` (e.g. `host`). */
  pid?: string;
  /** Compose `ipc` (e.g. `host`). */
  ipc?: string;
  /** Compose `platform` (`linux/arm64`): the platform the image is read and run for. Default linux/amd64. */
  platform?: string;
  /** Compose `devices` as written. */
  devices: string[];
  /**
   * Settings that exist only on a Docker host, as written, for the gate to refuse (Fargate has
   * none of them): `userns_mode`, `uts`, `cgroup`, `cgroup_parent`, `sysctls`,
   * `device_cgroup_rules`, `runtime`, `volumes_from`, GPU reservations.
   */
  hostSettings: HostSetting[];
  /** Derived: reachable from the internet in the cloud (`intent.exposure`). */
  public: boolean;
  /** Production intent: what this service becomes in the cloud, decided once with reasons. */
  intent: ServiceIntent;
  x: ServiceExtension;
  /** Where the service is defined (the last file that defines it). */
  location: SourceLocation;
}

/**
 * Production intent: what a compose service, written for a laptop, means in the cloud. Decided once
 * in src/model/intent (with a reason for each decision, printed by `shipshape config`); `up`,
 * `slim`, `synth`, `deploy` and `check` read these decisions and never re-derive them.
 */
export interface ServiceIntent {
  /** Where the service runs in the cloud (src/model/intent/placement.ts): every command reads this. */
  placement: CloudPlacement;
  placementReason: string;
  /** What the image is, recognized through the one image-reference parser. */
  image?: ImageRef;
  /** Set when the image is a recognized datastore (never public in the cloud). */
  datastore?: DatastoreIntent;
  /** `public`: the internet reaches `entryPorts` through a load balancer. */
  exposure: 'public' | 'private';
  exposureReason: string;
  /** Container ports the internet reaches in the cloud, each with its protocol. Empty when private. */
  entryPorts: EntryPort[];
  /**
   * Ports compose publishes that stay local debug ports: `up` publishes them (compose parity), the
   * cloud does not.
   */
  debugPorts: PortMapping[];
  /** Every container port the service listens on: compose ports and expose, Dockerfile EXPOSE, image default. */
  listenPorts: number[];
  /**
   * The names its callers use for it besides its service name (a `container_name`, a network
   * alias, a `links` alias, in lowercase): the cloud registers each (Service Connect client aliases).
   */
  callerNames: string[];
  /** Who the container runs as, and whether that is root. */
  user: UserDecision;
  /**
   * For an image-only service: what its image's config says, from shipshape.lock (src/model/image-lock.ts),
   * or why it is assumed. Undefined for built services (their Dockerfile says it).
   */
  imageFacts?: ImageFactsDecision;
  /** The OS and CPU architecture the cloud task runs on (its runtimePlatform). */
  platform: TaskPlatform;
  /** The health check the cloud task runs: compose's, else the image's own HEALTHCHECK. */
  healthcheck?: HealthCheckDecision;
  /** How each compose secret reaches the container. */
  secrets: SecretDelivery[];
  /** How each environment variable reaches the container in the cloud. */
  environment: EnvironmentDecision[];
  /** What each volume, bind mount and tmpfs becomes in the cloud. */
  mounts: MountDecision[];
  /** What the cloud image is built from. */
  cloudImage: CloudImage;
  /** Settings that cannot exist on Fargate, or that a security reviewer refuses. */
  refusals: Refusal[];
  /** The managed datastores this service calls, and how it reaches each in the cloud. */
  connections: DatastoreConnection[];
}

/**
 * Where a service runs in the cloud: `service` an ECS service (its tasks kept running); `job` a
 * one-off task that runs to completion; `managed` replaced by a managed AWS service (RDS,
 * ElastiCache...: no container); `local-only` not deployed (`x-shipshape.local-only`).
 */
export type CloudPlacement = 'service' | 'job' | 'managed' | 'local-only';

/**
 * What an image's config says (the OCI image config, read from its registry without pulling it,
 * or from the engine's copy), pinned by digest in shipshape.lock.
 */
export interface ImageFacts {
  /** The reference as compose writes it (interpolated). */
  image: string;
  /** The platform it was read for (`linux/amd64`). */
  platform: string;
  /**
   * What the reference resolved to: the manifest (or, for a multi-platform image, the index)
   * digest the cloud pulls, as `image@digest`. Undefined for an image only on this engine.
   */
  digest?: string;
  /** Digest of the image config blob (its id). */
  config: string;
  /** Where it was read: its registry, or the engine's copy when the engine has it. */
  from: 'registry' | 'engine';
  /** `USER`, '' when none (root). */
  user: string;
  /** TCP ports it EXPOSEs. */
  ports: number[];
  /** UDP ports it EXPOSEs. */
  udpPorts: number[];
  healthcheck?: HealthCheck;
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  env: string[];
  /** CPU architecture of the image (`amd64`, `arm64`). */
  architecture: string;
  os: string;
}

export interface ImageFactsDecision {
  /** The facts from shipshape.lock; undefined when they are assumed (see `reason`). */
  facts?: ImageFacts;
  reason: string;
}

export interface TaskPlatform {
  os: 'linux';
  architecture: 'amd64' | 'arm64';
  reason: string;
}

export interface HealthCheckDecision {
  check: HealthCheck;
  source: 'compose' | 'image';
  reason: string;
}

/** A parsed image reference: `[registry/][path/]name[:tag][@digest]`. */
export interface ImageRef {
  /** As written. */
  reference: string;
  /** Registry host, when one is written (`ghcr.io`, `localhost:5000`); undefined for Docker Hub. */
  registry?: string;
  /** Repository path without the registry (`library/nginx` is written `nginx`). */
  repository: string;
  /** Last path segment of the repository (`bitnami/redis` → `redis`). */
  name: string;
  tag?: string;
  digest?: string;
}

export type DatastoreKind =
  | 'postgres'
  | 'mysql'
  | 'mariadb'
  | 'redis'
  | 'valkey'
  | 'memcached'
  | 'mongo'
  | 'elasticsearch'
  | 'opensearch'
  | 'rabbitmq'
  | 'kafka'
  | 'zookeeper'
  | 'cassandra'
  | 'mssql'
  | 'dynamodb-local'
  | 's3-compatible'
  | 'etcd'
  | 'nats'
  | 'clickhouse'
  | 'influxdb'
  | 'neo4j'
  | 'couchdb'
  | 'cockroachdb'
  | 'mqtt'
  | 'pooler'
  | 'database';

export interface DatastoreIntent {
  kind: DatastoreKind;
  /** The port clients use. */
  port: number;
  /**
   * In the cloud: `managed` becomes the AWS service named in `managedBy` (the container is not
   * deployed); `container` runs the image on Fargate, private.
   */
  cloud: 'managed' | 'container';
  /** The managed AWS service, e.g. `Amazon RDS for PostgreSQL`. */
  managedBy?: string;
  /** For `managed`: the AWS engine. */
  engine?: ManagedEngine;
  /** For `managed`: the engine version chosen from the image tag (`10.11`, `7.1`); none for DynamoDB and S3. */
  version?: string;
  /** For `managed` databases and caches: the account the managed service is created with. */
  credentials?: DatastoreCredentials;
  /** For `managed` DynamoDB: the tables. */
  tables?: TableSpec[];
  /** For `managed` S3: the buckets (names callers use locally). */
  buckets?: string[];
  /** Where the image keeps its data (`/var/lib/mysql`), when known. */
  dataDir?: string;
  reason: string;
}

/** The AWS service a recognized datastore becomes. */
export type ManagedEngine =
  | 'rds-postgres'
  | 'rds-mysql'
  | 'rds-mariadb'
  | 'elasticache-redis'
  | 'elasticache-valkey'
  | 'elasticache-memcached'
  | 'documentdb'
  | 'dynamodb'
  | 's3';

export interface DatastoreCredentials {
  /** Master user name (from the image's settings, e.g. `MYSQL_USER`, else the image's default). */
  username?: string;
  /** Why `username` is not the name the image was given (the managed service refuses that one). */
  usernameReason?: string;
  /** Database created with the instance (`POSTGRES_DB`, `MYSQL_DATABASE`). */
  database?: string;
  /**
   * The compose secret the image reads its password from (`MYSQL_ROOT_PASSWORD_FILE`). In the
   * cloud that secret's file holds the managed service's generated password, for every service
   * that mounts it.
   */
  passwordSecret?: string;
}

/** How a caller reaches one managed datastore in the cloud. */
export interface DatastoreConnection {
  /** The datastore service. */
  datastore: string;
  engine: ManagedEngine;
  /** Variables added to the caller: the engine's conventional names, unless the caller sets them itself. */
  variables: ConnectionVariable[];
  /** IAM actions the caller's task role gets on the datastore's resources (DynamoDB, S3). */
  actions: string[];
}

export interface ConnectionVariable {
  name: string;
  value: ConnectionValue;
  reason: string;
}

/**
 * A value assembled from literal text and attributes of the managed resource, e.g.
 * `['rediss://', { field: 'host' }, ':6379/0']`. A value that is exactly `[{ field: 'password' }]`
 * becomes an ECS secret; `password` is never part of a longer value.
 */
export type ConnectionValue = Array<string | { field: ConnectionField; name?: string }>;

/**
 * `host`: the endpoint address; `password`: the generated password (Secrets Manager); `table` and
 * `bucket`: the cloud name of the table or bucket called `name` locally; `region`: the stack's region.
 */
export type ConnectionField = 'host' | 'password' | 'table' | 'bucket' | 'region';

/** How the internet reaches an entry port: an ALB for HTTP(S), an NLB for TCP/UDP. */
export type EntryProtocol = 'http' | 'https' | 'tcp' | 'udp';

/** Which public load balancer serves an entry: application (HTTP, HTTPS) or network (TCP, UDP). */
export type Balancer = 'application' | 'network';

export interface EntryPort {
  /** Container port. */
  port: number;
  protocol: EntryProtocol;
  /** Decided with the protocol (`balancerFor`): every reader uses this, never the protocol. */
  balancer: Balancer;
  /** Host port compose publishes it on locally, when it does. */
  published?: number;
  /**
   * The load balancer listener port. Unset for a service's first HTTP(S) entry, which the main
   * listener (80, or 443 with a certificate) routes; every other entry gets a listener of its
   * own on its published port (else its container port), unique per load balancer.
   */
  listener?: number;
  reason: string;
}

export interface UserDecision {
  /** The user the container runs as, as written (`1000:1000`, `node`); undefined when unknown. */
  user?: string;
  /** `unknown`: the image's own USER, which only an engine can read (see `runsAsRoot`). */
  root: boolean | 'unknown';
  source: 'compose' | 'dockerfile' | 'image';
  /**
   * shipshape starts the container as `user` although the image starts as root: the image's own
   * data user, to which its entrypoint would switch (official datastore images). `up` sets it.
   */
  setByShipshape?: boolean;
  reason: string;
  location?: SourceLocation;
}

export interface SecretDelivery {
  /** Top-level secret name. */
  name: string;
  /** Absolute path of the file in the container. */
  target: string;
  /** Environment variables that point at the file (`MYSQL_PASSWORD_FILE=/run/secrets/db`). */
  fileVariables: string[];
  /** In the cloud the file holds the generated password of this managed datastore (service name). */
  datastore?: string;
  reason: string;
}

export interface EnvironmentDecision {
  name: string;
  /**
   * `plain`: set as is. `secret`: a credential; becomes a Secrets Manager reference in the cloud.
   * `secret-file`: a path to a compose secret file (`*_FILE`), set as is. `datastore`: refers to a
   * managed datastore; set to `cloud` (its endpoint, generated password, table name...).
   * `dropped`: not set in the cloud (an endpoint of a local stand-in, its static credentials).
   */
  handling: 'plain' | 'secret' | 'secret-file' | 'datastore' | 'dropped';
  /** For `datastore`: the service it refers to and the cloud value. */
  datastore?: string;
  cloud?: ConnectionValue;
  /** Written literally in a compose file (not interpolated from `.env`, the shell or an env_file). */
  literal: boolean;
  reason: string;
  location?: SourceLocation;
}

export interface MountDecision {
  /** Path in the container. */
  target: string;
  /** Compose source: named volume, absolute host path, or undefined (anonymous, tmpfs). */
  source?: string;
  type: 'volume' | 'bind' | 'tmpfs';
  readOnly: boolean;
  /**
   * In the cloud: `volume` persistent storage shared by tasks; `scratch` task-local, lost on
   * redeploy; `baked` copied into a derived image; `dropped` not needed (a development overlay of
   * the image's own source, host time zone); `refused` cannot or must not exist (see `refusals`).
   */
  cloud: 'volume' | 'scratch' | 'baked' | 'dropped' | 'refused';
  reason: string;
  /** For `volume`: the owner of its files in the cloud (the EFS access point's POSIX user). */
  owner?: { uid: number; gid: number };
  /**
   * Not written in compose: a scratch directory the image needs on a read-only root filesystem
   * (mariadb's socket directory), mounted by `up` as tmpfs and in the cloud as task storage.
   */
  implied?: boolean;
  location?: SourceLocation;
}

/** What the cloud image of a service is built from (`deploy` builds it; `synth` gives it a repository). */
export interface CloudImage {
  kind: 'build' | 'registry' | 'derived';
  /** For `registry` and `derived`: the image pinned to the digest shipshape.lock holds (`redis:7@sha256:…`). */
  pinned?: string;
  /** For `derived`: files copied on top of `image`, source (absolute host path) → target. */
  files: { source: string; target: string }[];
}

/**
 * Settings that cannot exist on Fargate. Unlike the unsafe rules (privileged, host network, ...),
 * these cannot be acknowledged: the fix is to remove them or keep the service local
 * (`x-shipshape.local-only`).
 */
export type RefusalRule =
  | 'docker-socket'
  | 'host-path'
  | 'host-pid'
  | 'host-ipc'
  | 'devices'
  | 'secret-target'
  | 'unknown-call-port'
  | 'datastore-version'
  | 'low-port'
  | 'dockerfile'
  | 'secret-argument'
  | 'public-datastore'
  | 'fargate-unsupported'
  | 'confinement-disabled'
  | 'entry-ports'
  | 'service-name';

export interface Refusal {
  rule: RefusalRule;
  /** Compose document path of the setting, e.g. `services.ci.volumes[0]`. */
  path: string;
  location?: SourceLocation;
  message: string;
  /** The exact compose or x-shipshape change that fixes it. */
  fix: string;
}

/** One production decision with its reason, as `shipshape config` prints it. */
export interface Decision {
  /** The service it concerns; undefined for app-wide decisions (the catch-all route). */
  service?: string;
  topic:
    | 'placement'
    | 'exposure'
    | 'protocol'
    | 'route'
    | 'edge'
    | 'user'
    | 'secret'
    | 'environment'
    | 'mount'
    | 'image'
    | 'datastore';
  /** One line, e.g. `cache: private in the cloud (redis image); 6379 stays a local debug port`. */
  text: string;
  location?: SourceLocation;
}

/** App-wide production intent. */
export interface AppIntent {
  /** The public service the load balancer's catch-all route (`/*`) goes to. */
  catchAll?: { service: string; reason: string };
  /** Every decision, in service order, for `config` and `report`. */
  decisions: Decision[];
}

export interface NetworkModel {
  name: string;
  external: boolean;
  internal: boolean;
  driver?: string;
}

export interface VolumeModel {
  name: string;
  external: boolean;
  driver?: string;
  /** `driver_opts` as written (`{ type: none, o: bind, device: /srv/data }` makes it a bind mount). */
  driverOpts: Record<string, string>;
}

export interface SecretModel {
  name: string;
  /** Absolute path of the secret file, when file-based. */
  file?: string;
  /** Name of the environment variable holding it, when env-based. */
  environment?: string;
  external: boolean;
}

export type NatStrategy = 'single' | 'per-az' | 'none';

/** Top-level `x-shipshape` block, resolved for the selected environment. */
export interface AppExtension {
  /** Audit tags applied to every resource. Default none (shipshape adds app, environment, managed-by). */
  tags: Record<string, string>;
  /**
   * The selected deployment environment (`--env`, else `x-shipshape.environment`, else `dev`):
   * names the stacks and the `environment` tag.
   */
  environment: string;
  /** The profile `x-shipshape.environments.<env>.profile` names, when it does (src/infra/profile.ts decides otherwise). */
  profile?: 'dev' | 'prod';
  /** Environments declared under `x-shipshape.environments`. */
  environments: string[];
  /** `x-shipshape.aws` with the selected environment's overrides applied. */
  aws: {
    /** Default `us-east-1`. */
    region: string;
    account?: string;
    /** How private subnets reach the internet; undefined: the profile decides (dev single, prod per-az). */
    nat?: NatStrategy;
    /** ACM certificate for HTTPS on the public load balancer. Default none (HTTP only). */
    certificateArn?: string;
    /** Public DNS name of the app; with `hostedZone`, a DNS-validated certificate and an alias record. */
    domain?: string;
    /** The Route 53 hosted zone `domain` is in. */
    hostedZone?: { id: string; name: string };
    /** An existing Cloud Map namespace for Service Connect, instead of one the stack creates. */
    cloudMapNamespace?: string;
    /** CloudWatch log retention. Default 30 days. */
    logRetentionDays: number;
    /** An existing VPC to deploy into (`aws.vpc`) instead of a new one. Default none. */
    vpc?: ExistingVpc;
  };
  acknowledge: Acknowledgement[];
  /** The public service the load balancer's catch-all route goes to. Default: decided by a printed rule. */
  catchAll?: string;
  /** Where `x-shipshape` (or, without one, the first compose file) is written, for errors about it. */
  location: SourceLocation;
}

/**
 * `x-shipshape.aws.vpc`: an existing VPC and its subnets, per tier. Checked offline where it can be
 * (src/model/vpc.ts); what the network must provide is in docs/infrastructure.md.
 */
export interface ExistingVpc {
  id: string;
  /** Subnets with a route to an internet gateway: the public load balancers. Default none. */
  publicSubnets: string[];
  /** Subnets with a route out (NAT) or the VPC endpoints the tasks need: the Fargate tasks. */
  privateSubnets: string[];
  /** Subnets without a route out: the managed databases. Default none (they go to the private subnets). */
  isolatedSubnets: string[];
  /** The zone of each subnet: the i-th subnet of a tier is in zone i (mod the count). Default unknown. */
  availabilityZones?: string[];
  /** Where the `vpc` block is written (the environment's, when it writes one). */
  path: string;
  location: SourceLocation;
}

/** Who may open a connection to whom. `from: INTERNET` marks public entry points. */
export interface TrafficEdge {
  from: string;
  to: string;
  /** Container ports of `to` that `from` may reach. */
  ports: number[];
  /** `udp` for a callee that listens on these ports only over UDP (`53/udp`), or a `udp://` reference. */
  protocol: Protocol;
  /** The first way the call was found (see `declared` for whether anyone wrote it down). */
  reason: 'published' | 'public' | 'depends_on' | 'links' | 'allow-from' | 'reference';
  /** Why the edge covers these ports when no evidence names one (the callee's listen ports, a scheme's default). */
  portsReason?: string;
  /**
   * Whether the compose file declares the call (`depends_on`, `links`, `x-shipshape.allow-from`),
   * as opposed to the model inferring it only from a reference (a URL, a hostname). Set once here;
   * rules read it, never the evidence.
   */
  declared: boolean;
  /** Where an edge was found: the depends_on entry, or each env/command value naming the callee. */
  evidence: EdgeEvidence[];
}

export interface EdgeEvidence {
  /** Compose document path, e.g. `services.api.environment.DATABASE_URL`. */
  path: string;
  /** The text that names the callee (`jdbc:postgresql://db:5432/app`). */
  text: string;
  location?: SourceLocation;
}

/**
 * The traffic graph's node for the internet. Not a valid compose service name (those start with a
 * letter or digit), so a service may be called `internet`.
 */
export const INTERNET = '(internet)';

export interface TrafficGraph {
  edges: TrafficEdge[];
}

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  message: string;
  /** Path in the compose document, e.g. `services.api.ports[0]`. */
  path?: string;
  location?: SourceLocation;
  hint?: string;
}

export interface AppModel {
  /** Project name: `x-shipshape.name`, else compose `name`, else the project directory name. */
  name: string;
  projectDir: string;
  /** The compose files, in merge order. */
  files: string[];
  /** Active services in definition order (profiles applied). */
  services: ServiceModel[];
  networks: NetworkModel[];
  volumes: VolumeModel[];
  secrets: SecretModel[];
  x: AppExtension;
  traffic: TrafficGraph;
  /** App-wide production intent (catch-all route, every decision with its reason). */
  intent: AppIntent;
  /** Non-fatal findings: unknown keys, deprecated syntax. */
  warnings: Diagnostic[];
}
