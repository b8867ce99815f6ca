import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { ShipshapeError } from '../model/errors.js';
import { INTERNET, type AppModel, type PortMapping, type ServiceModel } from '../model/types.js';
import { LABELS } from '../engine/client.js';
import {
  DEFAULT_MEMORY_BYTES,
  DEFAULT_PIDS_LIMIT,
  TMP_TMPFS,
  hardenedHostConfig,
  serviceContainerSpec,
} from '../engine/container-spec.js';
import { startOrder } from '../model/graph.js';
import { gatewayCommand, type GatewayConfig, type GatewayListener } from './gateway.js';
export { DEFAULT_MEMORY_BYTES, DEFAULT_PIDS_LIMIT };
import { NGINX_USER, nginxCanServe, nginxCommand, nginxConfig, nginxImage } from './nginx.js';

/** The gateway needs little: one Node process. */
const GATEWAY_MEMORY_BYTES = 128 * 1024 * 1024;
const GATEWAY_PIDS_LIMIT = 64;

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
  /** A gateway's listeners and upstreams (also in its spec, as the proxy reads them). */
  gatewayConfig?: GatewayConfig;
  /**
   * Containers of the same task that run to completion before this one starts (the task's init
   * container under `up --fargate`), in order. They have no network.
   */
  before?: PlannedHelper[];
}

export interface PlannedHelper {
  name: string;
  /** Create options; `HostConfig.NetworkMode` is `none`. */
  spec: Docker.ContainerCreateOptions;
  /** ECS `SUCCESS` (exit 0) or `COMPLETE` (any exit). */
  condition: 'SUCCESS' | 'COMPLETE';
}

export interface PlannedVolume {
  name: string;
  labels: Record<string, string>;
  /**
   * A task volume (`up --fargate`): empty, owned by root, mode 0755, as Fargate gives one; the
   * image's content at the mount path is not copied in. Default false (a compose named volume).
   */
  task?: boolean;
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
): Pick<PortMapping, 'target' | 'published' | 'publishedEnd' | 'hostIp' | 'protocol'>[] {
  if (s.ports.length > 0) return s.ports;
  return s.intent.entryPorts.map((p) => ({
    target: p.port,
    published: undefined,
    hostIp: undefined,
    protocol: p.protocol === 'udp' ? 'udp' : 'tcp',
  }));
}

const publishesLocally = (s: ServiceModel) => localPublishedPorts(s).length > 0;

/**
 * Internal networks get no address on the host's bridge either, so not even the host can open a
 * connection to a private service by its container IP (without this, Linux hosts can).
 */
const INTERNAL_OPTIONS = { 'com.docker.network.bridge.inhibit_ipv4': 'true' };

/** `io.shipshape.role` values of what `up` creates; other commands' objects (slim, tests) differ. */
export const LOCAL_ROLES = {
  replica: 'service',
  gateway: 'lb',
  shared: 'local',
  /** `up --fargate`: a task's init container and its task volumes, removed with the app. */
  task: 'task',
} as const;

/** True for containers `up` made (replicas and gateways), judged by their labels. */
export function isLocalContainer(labels: Record<string, string>): boolean {
  const role = labels[LABELS.role];
  return role === LOCAL_ROLES.replica || role === LOCAL_ROLES.gateway;
}

/** The engine label filter for everything of `app`'s local run with `role`. */
export function localFilter(app: string, role: string): string {
  return JSON.stringify({ label: [`${LABELS.app}=${app}`, LABELS.managed, `${LABELS.role}=${role}`] });
}

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

export function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
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
  refuseNetworkMode(services);
  const base = { [LABELS.managed]: 'true', [LABELS.app]: app.name };
  const calls = portCalls(app);
  const hasGateway = (s: ServiceModel) => publishesLocally(s) || calls.some((e) => e.to === s.name);
  const containers = services.flatMap((s) => [
    ...planReplicas(app, s, calls, options, base),
    ...(hasGateway(s) ? [planGateway(app, s, calls, options, base)] : []),
  ]);
  return {
    app: app.name,
    order,
    networks: planNetworks(app, services, calls, base),
    volumes: planVolumes(app, services, base),
    containers,
  };
}

type Edge = AppModel['traffic']['edges'][number];

function refuseNetworkMode(services: ServiceModel[]): void {
  const s = services.find((x) => x.networkMode);
  if (!s) return;
  throw new ShipshapeError(
    `service "${s.name}" sets network_mode "${s.networkMode}", which bypasses the isolation shipshape enforces`,
    {
      location: s.location,
      path: `services.${s.name}.network_mode`,
      hint: 'remove network_mode; services reach each other by name through depends_on / x-shipshape.allow-from',
    },
  );
}

/**
 * Every call in the app that carries a port — not only between selected services — so that a
 * container's spec (and config hash) does not depend on which services this `up` names:
 * `up api` after `up` must not rewire the gateway web calls through.
 */
function portCalls(app: AppModel): Edge[] {
  const known = new Set(app.services.map((s) => s.name));
  return app.traffic.edges.filter(
    (e) =>
      e.from !== INTERNET && e.ports.length > 0 && known.has(e.from) && known.has(e.to) && e.from !== e.to,
  );
}

/** A backend network per service, an edge network per published service, a network per call. */
function planNetworks(
  app: AppModel,
  services: ServiceModel[],
  calls: Edge[],
  base: Record<string, string>,
): PlannedNetwork[] {
  const selected = new Set(services.map((s) => s.name));
  const labels = (service: string) => ({
    ...base,
    [LABELS.role]: LOCAL_ROLES.shared,
    [LABELS.service]: service,
  });
  const internal = { internal: true, options: INTERNAL_OPTIONS };
  return [
    ...services.flatMap((s): PlannedNetwork[] => [
      {
        name: backendNetwork(app.name, s.name),
        ...internal,
        purpose: `replicas of ${s.name} and their gateway`,
        labels: labels(s.name),
      },
      ...(publishesLocally(s)
        ? [
            {
              name: edgeNetwork(app.name, s.name),
              internal: false,
              options: {},
              purpose: `published ports of ${s.name}`,
              labels: labels(s.name),
            },
          ]
        : []),
    ]),
    ...calls
      .filter((c) => selected.has(c.from) || selected.has(c.to))
      .map((e) => ({
        name: callNetwork(app.name, e.from, e.to),
        ...internal,
        purpose: `${e.from} may call ${e.to} on ${e.ports.join(', ')}`,
        labels: labels(e.to),
      })),
  ];
}

/** The engine volume of a named compose volume: the app's own, or an external one as named. */
function localVolumeName(app: AppModel, source: string): string {
  return app.volumes.find((x) => x.name === source)?.external ? source : `${app.name}_${source}`;
}

/** The app's own named volumes the services mount (external ones exist already). */
function planVolumes(app: AppModel, services: ServiceModel[], base: Record<string, string>): PlannedVolume[] {
  const names = new Set<string>();
  for (const s of services) {
    for (const v of s.volumes) {
      if (v.type !== 'volume' || !v.source) continue;
      if (!app.volumes.find((x) => x.name === v.source)?.external) names.add(localVolumeName(app, v.source));
    }
  }
  return [...names].map((name) => ({ name, labels: { ...base, [LABELS.role]: LOCAL_ROLES.shared } }));
}

/** One container per replica, on its backend network and the call networks of what it calls. */
function planReplicas(
  app: AppModel,
  s: ServiceModel,
  calls: Edge[],
  options: PlanOptions,
  base: Record<string, string>,
): PlannedContainer[] {
  const image = options.images[s.name];
  if (!image) throw new Error(`internal: no image resolved for service ${s.name}`);
  const calleeNetworks = calls
    .filter((e) => e.from === s.name)
    .map((e) => callNetwork(app.name, e.from, e.to));
  return Array.from({ length: s.replicas }, (_, i): PlannedContainer => {
    const replica = i + 1;
    const name = containerName(app.name, s.name, replica);
    const service = serviceContainerSpec({
      app,
      service: s,
      name,
      image,
      hostname: `${s.name}-${replica}`,
      env: { SHIPSHAPE_REPLICA: String(replica) },
      labels: {
        ...base,
        [LABELS.service]: s.name,
        [LABELS.replica]: String(replica),
        [LABELS.role]: LOCAL_ROLES.replica,
      },
      volumeName: (source) => localVolumeName(app, source),
    });
    const spec: Docker.ContainerCreateOptions = {
      ...service,
      HostConfig: {
        ...service.HostConfig,
        RestartPolicy: restartPolicy(s.restart),
        LogConfig: { Type: 'json-file', Config: {} },
      },
    };
    const nets: PlannedEndpoint[] = [
      { network: backendNetwork(app.name, s.name), aliases: [s.name, `${s.name}-${replica}`] },
      ...calleeNetworks.map((network) => ({ network, aliases: [] })),
    ];
    return {
      name,
      service: s.name,
      replica,
      role: 'service',
      gateway: 'node',
      spec,
      networks: nets,
      hash: hashOf({ spec, nets, imageId: options.imageIds?.[image] ?? image }),
    };
  });
}

/**
 * The gateway's listeners: every published port and every port callers use. HTTP entries are
 * balanced per request with health probes on the health path; debug ports and TCP entries (a
 * database published for debugging, a game server) are passed through per connection.
 */
function gatewayConfig(s: ServiceModel, calls: Edge[], options: PlanOptions): GatewayConfig {
  const published = localPublishedPorts(s);
  const publicPorts = published.filter((p) => p.protocol === 'tcp').map((p) => p.target);
  const calledPorts = calls.filter((e) => e.to === s.name).flatMap((e) => e.ports);
  const ports = [...new Set([...publicPorts, ...calledPorts])].sort((a, b) => a - b);
  const udpPorts = [...new Set(published.filter((p) => p.protocol === 'udp').map((p) => p.target))];
  const upstreams = (port: number) =>
    Array.from({ length: s.replicas }, (_, i) => ({ host: `${s.name}-${i + 1}`, port }));
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
  for (const port of udpPorts.sort((a, b) => a - b))
    listeners.push({ port, mode: 'udp', upstreams: upstreams(port) });
  return { listeners };
}

/** Host port bindings of the published ports: loopback unless compose or `--host` names an address. */
function gatewayPortBindings(
  s: ServiceModel,
  options: PlanOptions,
): Record<string, { HostIp: string; HostPort: string }[]> {
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of localPublishedPorts(s)) {
    (bindings[`${p.target}/${p.protocol}`] ??= []).push({
      HostIp: options.host ?? p.hostIp ?? '127.0.0.1',
      // A host range (`"8000-9000:80"`) goes to the engine as is; it binds one free port of it.
      HostPort: p.published ? `${p.published}${p.publishedEnd ? `-${p.publishedEnd}` : ''}` : '',
    });
  }
  return bindings;
}

type GatewayRuntime = Pick<Docker.ContainerCreateOptions, 'Image' | 'User' | 'Cmd' | 'Env' | 'StopSignal'>;

/** Which proxy runs the gateway, in which image, as whom, with its config. */
function gatewayRuntime(kind: 'node' | 'nginx', config: GatewayConfig, options: PlanOptions): GatewayRuntime {
  if (kind === 'node') {
    return {
      Image: options.gatewayImage ?? gatewayImage(),
      User: '1000:1000',
      Cmd: gatewayCommand(),
      Env: [`SHIPSHAPE_GATEWAY=${JSON.stringify(config)}`],
    };
  }
  return {
    Image: options.nginxImage ?? nginxImage(),
    User: NGINX_USER,
    Cmd: nginxCommand(),
    Env: [`SHIPSHAPE_NGINX_CONF=${nginxConfig(config)}`],
    // Graceful: finish requests in flight (the official image's STOPSIGNAL).
    StopSignal: 'SIGQUIT',
  };
}

function planGateway(
  app: AppModel,
  s: ServiceModel,
  calls: Edge[],
  options: PlanOptions,
  base: Record<string, string>,
): PlannedContainer {
  const config = gatewayConfig(s, calls, options);
  const kind = options.lbMode === 'nginx' && nginxCanServe(config) ? 'nginx' : 'node';
  const hardening = hardenedHostConfig({
    capAdd: [],
    securityOpt: ['no-new-privileges:true'],
    readOnly: true,
    // nginx writes its config, pid and temp files here; the Node gateway writes nothing.
    tmpfs: kind === 'nginx' ? { '/tmp': TMP_TMPFS } : {},
    pidsLimit: GATEWAY_PIDS_LIMIT,
    memoryBytes: GATEWAY_MEMORY_BYTES,
    privileged: false,
    // A local stand-in for the load balancer and Service Connect: it listens on the services'
    // own ports (80 too) as uid 1000, so it keeps Docker's setting, unlike the tasks it fronts.
    sysctls: {},
  });
  const spec: Docker.ContainerCreateOptions = {
    name: containerName(app.name, s.name, 0),
    ...gatewayRuntime(kind, config, options),
    Hostname: `${s.name}-lb`,
    ExposedPorts: Object.fromEntries(
      config.listeners.map((l) => [`${l.port}/${l.mode === 'udp' ? 'udp' : 'tcp'}`, {}]),
    ),
    Labels: { ...base, [LABELS.service]: s.name, [LABELS.replica]: '0', [LABELS.role]: LOCAL_ROLES.gateway },
    HostConfig: {
      ...hardening,
      PortBindings: gatewayPortBindings(s, options),
      RestartPolicy: { Name: 'unless-stopped' },
    },
  };
  const nets: PlannedEndpoint[] = [
    ...(publishesLocally(s) ? [{ network: edgeNetwork(app.name, s.name), aliases: [] }] : []),
    { network: backendNetwork(app.name, s.name), aliases: [] },
    ...calls
      .filter((e) => e.to === s.name)
      .map((e) => ({ network: callNetwork(app.name, e.from, e.to), aliases: [s.name] })),
  ];
  return {
    name: spec.name!,
    service: s.name,
    replica: 0,
    role: 'gateway',
    gateway: kind,
    spec,
    networks: nets,
    hash: hashOf({ spec, nets }),
    gatewayConfig: config,
  };
}
