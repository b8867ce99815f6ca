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
}

export type UnsafeRule = 'privileged' | 'host-network' | 'plain-secret' | 'root-user' | 'added-capability';

export interface Acknowledgement {
  /** The rule acknowledged. */
  rule: UnsafeRule;
  reason: string;
}

export interface ServiceModel {
  name: string;
  image?: string;
  build?: BuildSpec;
  command?: string[];
  entrypoint?: string[];
  /** Resolved environment: `env_file`s first, then `environment`. Values are strings. */
  environment: Record<string, string>;
  ports: PortMapping[];
  /** Container ports declared with `expose`. */
  expose: number[];
  /** Every container port the service listens on: ports targets, expose, and well-known image ports. */
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
  tmpfs: string[];
  /** Derived: reachable from outside the app (see traffic graph). */
  public: boolean;
  x: ServiceExtension;
  /** Where the service is defined (the last file that defines it). */
  location: SourceLocation;
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

/** Top-level `x-shipshape` block. */
export interface AppExtension {
  /** Audit tags applied to every resource. Default none (shipshape adds app, environment, managed-by). */
  tags: Record<string, string>;
  /** Deployment environment name used in tags and stack names. Default `dev`. */
  environment: string;
  aws: {
    /** Default `us-east-1`. */
    region: string;
    account?: string;
    /** Default `single`. */
    nat: NatStrategy;
    /** ACM certificate for HTTPS on the public load balancer. Default none (HTTP only). */
    certificateArn?: string;
    /** CloudWatch log retention. Default 30 days. */
    logRetentionDays: number;
  };
  acknowledge: Acknowledgement[];
}

/** Who may open a connection to whom. `from: 'internet'` marks public entry points. */
export interface TrafficEdge {
  from: string;
  to: string;
  /** Container ports of `to` that `from` may reach. */
  ports: number[];
  protocol: Protocol;
  reason: 'published' | 'public' | 'depends_on' | 'allow-from';
}

export const INTERNET = 'internet';

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
  /** Non-fatal findings: unknown keys, deprecated syntax. */
  warnings: Diagnostic[];
}
