import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { ShipshapeError } from '../model/errors.js';
import { INTERNET, type AppModel, type PortMapping, type ServiceModel } from '../model/types.js';
import { LABELS } from '../engine/client.js';
import { startOrder } from '../model/graph.js';
import { gatewayCommand, type GatewayConfig, type GatewayListener } from './gateway.js';
import { NGINX_USER, nginxCanServe, nginxCommand, nginxConfig, nginxImage } from './nginx.js';

/** Memory limit when compose sets none (`deploy.resources.limits.memory`). */
export const DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024;
/** Process limit when compose sets none (`deploy.resources.limits.pids`). */
export const DEFAULT_PIDS_LIMIT = 256;
/** The gateway needs little: one Node process. */
const GATEWAY_MEMORY_BYTES = 128 * 1024 * 1024;
const GATEWAY_PIDS_LIMIT = 64;
/** Size of the writable `/tmp` given to containers with a read-only root filesystem. */
const TMP_TMPFS = 'rw,noexec,nosuid,nodev,size=64m';
/** A datastore's socket directory on a read-only root: writable by its (non-root) user. */
const IMPLIED_TMPFS = 'rw,noexec,nosuid,nodev,size=16m,mode=1777';

/**
 * Image the gateway runs in: any image with `node` on PATH and uid 1000. Default the stock
 * `node:20-bookworm-slim` (on Docker Hub, and provided offline by scripts/dev-env.sh).
 */
export function gatewayImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.SHIPSHAPE_GATEWAY_IMAGE ?? 'node:20-bookworm-slim';
}

export interface PlanOptions {
  /** Services to run (their `depends_on` closure is added). Default: all. */
  services?: string[];
  /** Host address published ports bind to when compose names none. Default `127.0.0.1`. */
  host?: string;
  /** Image reference to run per service (built tag or `image:`), keyed by service name. */
  images: Record<string, string>;
  /** Image id per reference, so a rebuilt image changes the config hash. Default: none. */
  imageIds?: Record<string, string>;
  /** Gateway image. Default `gatewayImage()`. */
  gatewayImage?: string;
  /**
   * How public ports are balanced. `http` (default): per HTTP request, like nginx or a cloud
   * application load balancer, with TCP fall-back for non-HTTP bytes. `tcp`: per connection,
   * cheaper, but a keep-alive client stays on one replica. `nginx`: per HTTP request by nginx
   * (image `nginxImage()`) for gateways whose ports are all public; a gateway that also carries
   * internal calls (any TCP protocol) stays the Node gateway.
   */
  lbMode?: 'http' | 'tcp' | 'nginx';
  /** nginx gateway image for `lbMode: 'nginx'`. Default `nginxImage()`. */
  nginxImage?: string;
}

export interface PlannedNetwork {
  name: string;
  /** `internal: true` networks have no route off the host and publish nothing. */
  internal: boolean;
  /** Why it exists, for people reading `docker network ls`. */
  purpose: string;
  /** Bridge driver options. */
  options: Record<string, string>;
  labels: Record<string, string>;
}

export interface PlannedEndpoint {
  network: string;
  aliases: string[];
}

export interface PlannedContainer {
  name: string;
  service: string;
  /** 1-based replica index; 0 for the gateway. */
  replica: number;
  role: 'service' | 'gateway';
  /** Which proxy a gateway runs (`node` for replicas too, where it means nothing). */
  gateway: 'node' | 'nginx';
  /** Create options minus networking; the first of `networks` is attached at create time. */
  spec: Docker.ContainerCreateOptions;
  networks: PlannedEndpoint[];
  /** Hash of `spec`, `networks` and the image id: equal hash ⇒ nothing to recreate. */
  hash: string;
}

export interface PlannedVolume {
  name: string;
  labels: Record<string, string>;
}

export interface AppPlan {
  app: string;
  /** Selected services in dependency order (dependencies first). */
  order: string[];
  networks: PlannedNetwork[];
  volumes: PlannedVolume[];
  containers: PlannedContainer[];
}

/** The selected services plus everything they depend on, in dependency order. */
export function dependencyOrder(app: AppModel, requested?: string[]): string[] {
  for (const name of requested ?? []) {
    if (!app.services.some((s) => s.name === name)) {
      throw new ShipshapeError(`no service named "${name}"`, {
        hint: `services in this app: ${app.services.map((s) => s.name).join(', ')}`,
      });
    }
  }
  return startOrder(app.services, requested);
}

/**
 * Ports `up` publishes on the host: every port compose publishes (entries and the debug ports the
 * cloud keeps private, for compose parity), or the entry ports of a service made public with
 * `x-shipshape.public` that publishes none.
 */
export function localPublishedPorts(
  s: ServiceModel,
): Pick<PortMapping, 'target' | 'published' | 'publishedEnd' | 'hostIp'>[] {
  if (s.ports.length > 0) return s.ports;
  return s.intent.entryPorts.map((p) => ({ target: p.port, published: undefined, hostIp: undefined }));
}

const publishesLocally = (s: ServiceModel) => localPublishedPorts(s).length > 0;

/**
 * Internal networks get no address on the host's bridge either, so not even the host can open a
 * connection to a private service by its container IP (without this, Linux hosts can).
 */
const INTERNAL_OPTIONS = { 'com.docker.network.bridge.inhibit_ipv4': 'true' };

/** `io.shipshape.role` values of what `up` creates; other commands' objects (slim, tests) differ. */
export const LOCAL_ROLES = { replica: 'service', gateway: 'lb', shared: 'local' } as const;

/** True for containers `up` made (replicas and gateways), judged by their labels. */
export function isLocalContainer(labels: Record<string, string>): boolean {
  const role = labels[LABELS.role];
  return role === LOCAL_ROLES.replica || role === LOCAL_ROLES.gateway;
}

/** The engine label filter for everything of `app`'s local run with `role`. */
export function localFilter(app: string, role: string): string {
  return JSON.stringify({ label: [`${LABELS.app}=${app}`, LABELS.managed, `${LABELS.role}=${role}`] });
}

const nsToMs = (ms: number) => Math.round(ms * 1_000_000);

export function containerName(app: string, service: string, replica: number): string {
  return replica === 0 ? `${app}-${service}-lb` : `${app}-${service}-${replica}`;
}
export const backendNetwork = (app: string, service: string) => `${app}_${service}`;
export const edgeNetwork = (app: string, service: string) => `${app}_${service}-edge`;
export const callNetwork = (app: string, from: string, to: string) => `${app}_${from}-to-${to}`;

/** Compose `restart` (`no`, `always`, `unless-stopped`, `on-failure[:N]`) → the engine's policy. */
export function restartPolicy(restart: string | undefined): { Name: string; MaximumRetryCount?: number } {
  if (!restart || restart === 'no') return { Name: '' };
  const [name, retries] = restart.split(':');
  return retries ? { Name: name!, MaximumRetryCount: Number(retries) } : { Name: name! };
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/** `no-new-privileges` stays on unless compose says `security_opt: [no-new-privileges:false]`. */
function securityOptions(s: ServiceModel): string[] {
  const nnpOff = s.securityOpt.some((o) => /^no-new-privileges[:=]false$/.test(o));
  const rest = s.securityOpt.filter((o) => !/^no-new-privileges([:=](true|false))?$/.test(o));
  return nnpOff ? rest : ['no-new-privileges:true', ...rest];
}

/**
 * What `up` should create for `app`: networks that mirror the traffic graph, one container per
 * replica, one gateway per service that is public or has callers. Pure: no engine calls.
 *
 * Isolation: every service gets an internal backend network holding only its replicas and its
 * gateway. Each allowed call `A → B` gets its own internal network holding A's replicas and B's
 * gateway (alias `B`), so A reaches `http://B:port` through the gateway while B cannot open a
 * connection to A: they share no network. A public service's gateway also joins a non-internal
 * edge network that publishes its ports on 127.0.0.1 (or `--host`).
 */
export function planApp(app: AppModel, options: PlanOptions): AppPlan {
  const order = dependencyOrder(app, options.services);
  const selected = new Set(order);
  const services = app.services.filter((s) => selected.has(s.name));
  const base = { [LABELS.managed]: 'true', [LABELS.app]: app.name };
  const networks: PlannedNetwork[] = [];
  const volumes = new Map<string, PlannedVolume>();
  const containers: PlannedContainer[] = [];

  for (const s of services) {
    if (s.networkMode) {
      throw new ShipshapeError(
        `service "${s.name}" sets network_mode "${s.networkMode}", which bypasses the isolation shipshape enforces`,
        {
          location: s.location,
          path: `services.${s.name}.network_mode`,
          hint: 'remove network_mode; services reach each other by name through depends_on / x-shipshape.allow-from',
        },
      );
    }
  }

  // Every call in the app that carries a port — not only between selected services — so that a
  // container's spec (and config hash) does not depend on which services this `up` names:
  // `up api` after `up` must not rewire the gateway web calls through.
  const known = new Set(app.services.map((s) => s.name));
  const calls = app.traffic.edges.filter(
    (e) =>
      e.from !== INTERNET && e.ports.length > 0 && known.has(e.from) && known.has(e.to) && e.from !== e.to,
  );
  const hasGateway = (s: ServiceModel) => publishesLocally(s) || calls.some((e) => e.to === s.name);

  for (const s of services) {
    networks.push({
      name: backendNetwork(app.name, s.name),
      internal: true,
      options: INTERNAL_OPTIONS,
      purpose: `replicas of ${s.name} and their gateway`,
      labels: { ...base, [LABELS.role]: LOCAL_ROLES.shared, [LABELS.service]: s.name },
    });
    if (publishesLocally(s)) {
      networks.push({
        name: edgeNetwork(app.name, s.name),
        internal: false,
        options: {},
        purpose: `published ports of ${s.name}`,
        labels: { ...base, [LABELS.role]: LOCAL_ROLES.shared, [LABELS.service]: s.name },
      });
    }
  }
  for (const e of calls.filter((c) => selected.has(c.from) || selected.has(c.to))) {
    networks.push({
      name: callNetwork(app.name, e.from, e.to),
      internal: true,
      options: INTERNAL_OPTIONS,
      purpose: `${e.from} may call ${e.to} on ${e.ports.join(', ')}`,
      labels: { ...base, [LABELS.role]: LOCAL_ROLES.shared, [LABELS.service]: e.to },
    });
  }

  for (const s of services) {
    const image = options.images[s.name];
    if (!image) throw new Error(`internal: no image resolved for service ${s.name}`);
    const mounts: Docker.MountSettings[] = [];
    for (const v of s.volumes) {
      if (v.type === 'volume' && v.source) {
        const declared = app.volumes.find((x) => x.name === v.source);
        const name = declared?.external ? v.source : `${app.name}_${v.source}`;
        if (!declared?.external)
          volumes.set(name, { name, labels: { ...base, [LABELS.role]: LOCAL_ROLES.shared } });
        mounts.push({ Type: 'volume', Source: name, Target: v.target, ReadOnly: v.readOnly });
      } else if (v.type === 'volume') {
        mounts.push({ Type: 'volume', Target: v.target, ReadOnly: v.readOnly } as Docker.MountSettings);
      } else if (v.type === 'bind') {
        mounts.push({ Type: 'bind', Source: v.source!, Target: v.target, ReadOnly: v.readOnly });
      } else {
        mounts.push({ Type: 'tmpfs', Target: v.target } as Docker.MountSettings);
      }
    }
    for (const secret of s.secrets) {
      const def = app.secrets.find((x) => x.name === secret.source);
      if (!def?.file) {
        throw new ShipshapeError(
          `secret "${secret.source}" of service "${s.name}" is not file-based; shipshape up mounts only file secrets`,
          {
            location: s.location,
            path: `services.${s.name}.secrets`,
            hint: 'declare it with `file:` for local runs',
          },
        );
      }
      mounts.push({ Type: 'bind', Source: def.file, Target: secret.target, ReadOnly: true });
    }
    const readOnly = s.readOnly ?? true;
    const tmpfs: Record<string, string> = {};
    // A read-only root still needs a scratch /tmp; compose's own `tmpfs:` entries come on top,
    // and the scratch directories the model says the image writes (a datastore's socket dir).
    if (readOnly) tmpfs['/tmp'] = TMP_TMPFS;
    for (const t of s.tmpfs) tmpfs[t.target] = t.options;
    for (const m of s.intent.mounts.filter((x) => x.implied)) tmpfs[m.target] ??= IMPLIED_TMPFS;
    // The user compose names, else the one the model decided to start the image as (a datastore
    // image's data user, so it needs no capabilities to switch to it).
    const user = s.user ?? (s.intent.user.setByShipshape ? s.intent.user.user : undefined);
    const memory = s.resources.limits.memoryBytes ?? DEFAULT_MEMORY_BYTES;
    const hc = s.healthcheck;
    const calleeNetworks = calls
      .filter((e) => e.from === s.name)
      .map((e) => callNetwork(app.name, e.from, e.to));

    for (let replica = 1; replica <= s.replicas; replica++) {
      const name = containerName(app.name, s.name, replica);
      const spec: Docker.ContainerCreateOptions = {
        name,
        Image: image,
        Hostname: `${s.name}-${replica}`,
        ...(s.command ? { Cmd: s.command } : {}),
        ...(s.entrypoint ? { Entrypoint: s.entrypoint } : {}),
        ...(user ? { User: user } : {}),
        ...(s.workingDir ? { WorkingDir: s.workingDir } : {}),
        ...(s.stopSignal ? { StopSignal: s.stopSignal } : {}),
        Env: Object.entries({ ...s.environment, SHIPSHAPE_REPLICA: String(replica) }).map(
          ([k, v]) => `${k}=${v}`,
        ),
        Labels: {
          ...s.labels,
          ...base,
          [LABELS.service]: s.name,
          [LABELS.replica]: String(replica),
          [LABELS.role]: LOCAL_ROLES.replica,
        },
        ...(hc && !hc.disabled
          ? {
              Healthcheck: {
                Test: hc.test,
                Interval: nsToMs(hc.intervalMs),
                Timeout: nsToMs(hc.timeoutMs),
                Retries: hc.retries,
                StartPeriod: nsToMs(hc.startPeriodMs),
              },
            }
          : hc?.disabled
            ? { Healthcheck: { Test: ['NONE'] } }
            : {}),
        HostConfig: {
          CapDrop: ['ALL'],
          CapAdd: s.capAdd,
          SecurityOpt: securityOptions(s),
          ReadonlyRootfs: readOnly,
          Tmpfs: tmpfs,
          PidsLimit: s.resources.limits.pids ?? DEFAULT_PIDS_LIMIT,
          Memory: memory,
          MemorySwap: memory, // no swap beyond the limit, as in production
          ...(s.resources.limits.cpus ? { NanoCpus: Math.round(s.resources.limits.cpus * 1e9) } : {}),
          // Privileged is only ever on when compose says `privileged: true` (policy flags it).
          Privileged: s.privileged,
          Mounts: mounts,
          RestartPolicy: restartPolicy(s.restart),
          LogConfig: { Type: 'json-file', Config: {} },
        },
      };
      const nets: PlannedEndpoint[] = [
        { network: backendNetwork(app.name, s.name), aliases: [s.name, `${s.name}-${replica}`] },
        ...calleeNetworks.map((network) => ({ network, aliases: [] })),
      ];
      containers.push({
        name,
        service: s.name,
        replica,
        role: 'service',
        gateway: 'node',
        spec,
        networks: nets,
        hash: hashOf({ spec, nets, imageId: options.imageIds?.[image] ?? image }),
      });
    }

    if (hasGateway(s)) containers.push(planGateway(app, s, calls, options, base));
  }
  return { app: app.name, order, networks, volumes: [...volumes.values()], containers };
}

function planGateway(
  app: AppModel,
  s: ServiceModel,
  calls: AppModel['traffic']['edges'],
  options: PlanOptions,
  base: Record<string, string>,
): PlannedContainer {
  const published = localPublishedPorts(s);
  const publicPorts = published.map((p) => p.target);
  const calledPorts = calls.filter((e) => e.to === s.name).flatMap((e) => e.ports);
  const ports = [...new Set([...publicPorts, ...calledPorts])].sort((a, b) => a - b);
  const upstreams = (port: number) =>
    Array.from({ length: s.replicas }, (_, i) => ({ host: `${s.name}-${i + 1}`, port }));
  // HTTP entries are balanced per request with health probes on the health path; debug ports and
  // TCP entries (a database published for debugging, a game server) are passed through per connection.
  const httpEntries = s.intent.entryPorts.filter((p) => p.protocol === 'http').map((p) => p.port);
  const listeners: GatewayListener[] = ports.map((port) =>
    httpEntries.includes(port)
      ? {
          port,
          mode: options.lbMode === 'tcp' ? 'tcp' : 'auto',
          upstreams: upstreams(port),
          healthPath: s.x.healthPath,
        }
      : { port, mode: 'tcp', upstreams: upstreams(port) },
  );
  const config: GatewayConfig = { listeners };
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of published) {
    // Bind to loopback unless compose or --host names an address explicitly.
    const hostIp = options.host ?? p.hostIp ?? '127.0.0.1';
    (portBindings[`${p.target}/tcp`] ??= []).push({
      HostIp: hostIp,
      // A host range (`"8000-9000:80"`) goes to the engine as is; it binds one free port of it.
      HostPort: p.published ? `${p.published}${p.publishedEnd ? `-${p.publishedEnd}` : ''}` : '',
    });
  }
  const name = containerName(app.name, s.name, 0);
  const kind = options.lbMode === 'nginx' && nginxCanServe(config) ? 'nginx' : 'node';
  const runtime: Pick<Docker.ContainerCreateOptions, 'Image' | 'User' | 'Cmd' | 'Env' | 'StopSignal'> =
    kind === 'nginx'
      ? {
          Image: options.nginxImage ?? nginxImage(),
          User: NGINX_USER,
          Cmd: nginxCommand(),
          Env: [`SHIPSHAPE_NGINX_CONF=${nginxConfig(config)}`],
          // Graceful: finish requests in flight (the official image's STOPSIGNAL).
          StopSignal: 'SIGQUIT',
        }
      : {
          Image: options.gatewayImage ?? gatewayImage(),
          User: '1000:1000',
          Cmd: gatewayCommand(),
          Env: [`SHIPSHAPE_GATEWAY=${JSON.stringify(config)}`],
        };
  const spec: Docker.ContainerCreateOptions = {
    name,
    ...runtime,
    Hostname: `${s.name}-lb`,
    ExposedPorts: Object.fromEntries(ports.map((p) => [`${p}/tcp`, {}])),
    Labels: { ...base, [LABELS.service]: s.name, [LABELS.replica]: '0', [LABELS.role]: LOCAL_ROLES.gateway },
    HostConfig: {
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges:true'],
      ReadonlyRootfs: true,
      // nginx writes its config, pid and temp files here; the Node gateway writes nothing.
      ...(kind === 'nginx' ? { Tmpfs: { '/tmp': TMP_TMPFS } } : {}),
      PidsLimit: GATEWAY_PIDS_LIMIT,
      Memory: GATEWAY_MEMORY_BYTES,
      MemorySwap: GATEWAY_MEMORY_BYTES,
      PortBindings: portBindings,
      RestartPolicy: { Name: 'unless-stopped' },
    },
  };
  const nets: PlannedEndpoint[] = [
    ...(published.length > 0 ? [{ network: edgeNetwork(app.name, s.name), aliases: [] }] : []),
    { network: backendNetwork(app.name, s.name), aliases: [] },
    ...calls
      .filter((e) => e.to === s.name)
      .map((e) => ({ network: callNetwork(app.name, e.from, e.to), aliases: [s.name] })),
  ];
  return {
    name,
    service: s.name,
    replica: 0,
    role: 'gateway',
    gateway: kind,
    spec,
    networks: nets,
    hash: hashOf({ spec, nets }),
  };
}
