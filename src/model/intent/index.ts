import { ShipshapeError } from '../errors.js';
import {
  exposedPorts,
  serviceDockerfile,
  stageBaseImage,
  type BuildDockerfile,
  type ParsedDockerfile,
} from '../dockerfile.js';
import { parseImageRef, withDigest } from '../image-ref.js';
import type { NormalizedService } from '../normalize.js';
import {
  INTERNET,
  type AppIntent,
  type DatastoreIntent,
  type Decision,
  type ManagedEngine,
  type Diagnostic,
  type ImageRef,
  type Refusal,
  type SecretModel,
  type ServiceIntent,
  type ServiceModel,
  type SourceLocation,
  type TrafficEdge,
  type TrafficGraph,
  type VolumeModel,
} from '../types.js';
import { formatPath, type DocPath } from '../yaml-source.js';
import { adminToolOf, datastoreRuntime, labelledPorts } from './catalog.js';
import { decideConnections, type ManagedStore } from './connections.js';
import { decideDatastore, type LocalCredentials } from './datastores.js';
import {
  callCandidates,
  hostIndex,
  serviceIndex,
  settleCallPorts,
  type CallCandidate,
  type ConfigFile,
} from './edges.js';
import { configFilesOf } from './config-files.js';
import { decideEnvironment, decideSecrets, type EnvironmentOrigin } from './environment.js';
import {
  debuggerPortsOf,
  decideCatchAll,
  decideExposure,
  entriesInFront,
  entryCandidates,
  entryRefusals,
  listenPortRefusal,
} from './exposure.js';
import {
  buildContextRefusals,
  decideMounts,
  hostOnlyRefusals,
  impliedMounts,
  volumeOwner,
} from './mounts.js';
import { describeService } from './describe.js';
import { fargateSize } from '../fargate-size.js';
import { isEngineSocket, isSystemPath, realPath } from '../host-paths.js';
import { argumentRefusals } from './credentials.js';
import { decideUser } from './user.js';
import { completionWaiters, decidePlacement } from './placement.js';
import { lowPortRefusals } from './low-ports.js';
import { decideHealthcheck, decideImageFacts, decidePlatform } from './image-facts.js';
import type { ImageLock } from '../image-lock.js';

/** Whether the service runs as a container in the cloud (where Fargate's rules apply to it). */
const runsInCloud = (st: StaticIntent) =>
  st.placement.placement === 'service' || st.placement.placement === 'job';

export { decideUser, isRootUser, runsAsRoot } from './user.js';
export { requestedPlatform } from './image-facts.js';
export {
  isSensitive,
  isCredentialName,
  credentialInValue,
  redactCredentials,
  redactArguments,
} from './credentials.js';
export {
  balancerFor,
  cloudContainers,
  isDeployed,
  jobs,
  managedServices,
  runsAsCloudContainer,
} from './placement.js';

export interface IntentContext {
  projectDir: string;
  secrets: SecretModel[];
  /** Top-level volumes (a `driver_opts` bind is judged as the host path it mounts). */
  volumes: VolumeModel[];
  /** App-level `x-shipshape.catch-all`. */
  catchAll?: string;
  locate(path: DocPath): SourceLocation;
  /** Whether an environment value was written literally in a compose file. */
  environmentOrigin(service: string, name: string): EnvironmentOrigin;
  /** shipshape.lock: the image facts the registry-reading commands pinned. */
  lock: ImageLock;
}

export interface IntentResult {
  services: ServiceModel[];
  traffic: TrafficGraph;
  intent: AppIntent;
  warnings: Diagnostic[];
}

/** What the image of a service is: its `image:`, or for a build, the base image of the built stage. */
function imageOf(s: NormalizedService, df: ParsedDockerfile | undefined): { ref?: ImageRef; built: boolean } {
  if (s.build) {
    const base = df?.built ? stageBaseImage(df.built) : undefined;
    return {
      ref: base && !base.includes('$') && base !== 'scratch' ? parseImageRef(base) : undefined,
      built: true,
    };
  }
  return { ref: s.image ? parseImageRef(s.image) : undefined, built: false };
}

/**
 * Decide the production intent of every service, once: exposure, protocols, the catch-all route,
 * calls (with ports and evidence), users, secrets, environment, mounts and refusals. Pure except
 * for reading Dockerfiles and checking whether bind-mount sources are files.
 */
export function decideIntent(normalized: readonly NormalizedService[], ctx: IntentContext): IntentResult {
  const warnings: Diagnostic[] = [];
  const decisions: Decision[] = [];
  const statics = staticIntents(normalized, ctx);
  settleVolumeOwners(normalized, statics, warnings);
  const candidates = gatherCalls(normalized, statics, ctx, decisions);
  const { edges: calls, unknownPorts, listenPorts, callerNames } = settleCalls(candidates, statics, warnings);
  for (const st of statics.values()) warnings.push(...st.warnings);
  warnings.push(...callsToLocalOnly(calls, statics));
  const stores = managedStores(normalized, statics);
  const internal = new Map(
    [...statics].map(([name, st]) => [
      name,
      { datastore: st.datastore, adminTool: st.adminTool, ...st.placement },
    ]),
  );
  const entryNames = entryCandidates(normalized, internal);
  // Calls by caller and by callee, once: filtering all calls per service was quadratic.
  const callsFrom = groupBy(calls, (e) => e.from);
  const callsTo = groupBy(calls, (e) => e.to);
  const order = new Map(normalized.map((s, position) => [s.name, { ...s, position }]));
  const services = normalized.map((s): ServiceModel => {
    const st = statics.get(s.name)!;
    // A service that is not deployed reaches nothing in the cloud.
    const reach =
      st.placement.placement === 'local-only'
        ? { environment: st.environment, secrets: st.secrets, connections: [], warnings: [] }
        : decideConnections(s, st, callsFrom.get(s.name) ?? [], stores);
    warnings.push(...reach.warnings);
    const inFront = entriesInFront(
      s,
      order,
      entryNames,
      callsTo.get(s.name) ?? [],
      callsFrom.get(s.name) ?? [],
    );
    const exposure = decideExposure(s, internal.get(s.name)!, inFront, listenPorts.get(s.name)!);
    const intent: ServiceIntent = {
      placement: st.placement.placement,
      placementReason: st.placement.placementReason,
      ...(st.image ? { image: st.image } : {}),
      ...(st.datastore ? { datastore: st.datastore } : {}),
      exposure: exposure.exposure,
      exposureReason: exposure.reason,
      entryPorts: exposure.entryPorts,
      debugPorts: exposure.debugPorts,
      listenPorts: listenPorts.get(s.name)!,
      callerNames: callerNames.get(s.name) ?? [],
      user: st.user,
      ...(st.imageFacts ? { imageFacts: st.imageFacts } : {}),
      platform: st.platform,
      ...(st.healthcheck ? { healthcheck: st.healthcheck } : {}),
      secrets: reach.secrets,
      environment: reach.environment,
      mounts: st.mounts,
      cloudImage: st.cloudImage,
      refusals: [
        ...st.refusals,
        ...unknownPorts.filter((u) => u.caller === s.name).map((u) => u.refusal),
        ...(runsInCloud(st) ? lowPortRefusals(s, st.user, listenPorts.get(s.name)!, ctx.locate) : []),
      ],
      connections: reach.connections,
    };
    return { ...s, public: exposure.exposure === 'public', intent };
  });
  addAppWideRefusals(services, ctx);
  warnings.push(...loopbackOnlyApp(services, ctx));
  const fromInternet = internetEdges(services, warnings);
  const catchAll = settleCatchAll(services, ctx, warnings);
  for (const s of services)
    decisions.push(...describeService(s, callsFrom.get(s.name) ?? [], ctx.projectDir));
  if (catchAll)
    decisions.push({ topic: 'route', text: `catch-all /* → ${catchAll.service} (${catchAll.reason})` });
  return {
    services,
    traffic: { edges: [...fromInternet, ...calls] },
    intent: { ...(catchAll ? { catchAll } : {}), decisions },
    warnings,
  };
}

/**
 * Refusals that need every service decided: names that collide once made ECS/DNS names, entries
 * the load balancers cannot route, more listening ports than a service may have.
 */
function addAppWideRefusals(services: ServiceModel[], ctx: IntentContext): void {
  const byName = new Map(services.map((s) => [s.name, s]));
  for (const [name, refusal] of nameCollisions(services, ctx))
    byName.get(name)!.intent.refusals.push(refusal);
  for (const [name, refusals] of entryRefusals(services, ctx.locate))
    byName.get(name)!.intent.refusals.push(...refusals);
  for (const s of services) {
    const r = listenPortRefusal(s, s.intent.listenPorts, ctx.locate);
    if (r && s.intent.placement !== 'local-only' && s.intent.placement !== 'managed')
      s.intent.refusals.push(r);
  }
}

/** Every service's calls as found (depends_on, allow-from, references); start-order-only and ignored ones become decisions. */
function gatherCalls(
  normalized: readonly NormalizedService[],
  statics: ReadonlyMap<string, StaticIntent>,
  ctx: IntentContext,
  decisions: Decision[],
): CallCandidate[] {
  const hosts = hostIndex(normalized);
  const index = serviceIndex(normalized);
  const candidates: CallCandidate[] = [];
  for (const s of normalized) {
    const { calls, startOrderOnly, ignored, apart } = callCandidates(
      s,
      index,
      hosts,
      ctx,
      statics.get(s.name)!.configFiles,
    );
    candidates.push(...calls);
    for (const c of apart)
      decisions.push({
        service: s.name,
        topic: 'edge',
        text: `${s.name} → ${c.to}: not a call (they share no compose network, so ${s.name} cannot resolve it; found ${c.evidence.map((e) => e.text).join(', ')})`,
        location: c.evidence[0]?.location,
      });
    for (const to of startOrderOnly)
      decisions.push({
        service: s.name,
        topic: 'edge',
        text: `${s.name} → ${to}: start order only (service_completed_successfully)`,
      });
    for (const c of ignored)
      decisions.push({
        service: s.name,
        topic: 'edge',
        text: `${s.name} → ${c.to}: not a call (x-shipshape.ignore-edges; found ${c.evidence.map((e) => e.text).join(', ')})`,
      });
  }
  return candidates;
}

/** Each service's listening ports (declared, plus any a reference names) and the calls with their ports. */
function settleCalls(
  candidates: CallCandidate[],
  statics: ReadonlyMap<string, StaticIntent>,
  warnings: Diagnostic[],
): ReturnType<typeof settleCallPorts> & {
  listenPorts: Map<string, number[]>;
  callerNames: Map<string, string[]>;
} {
  // A port a reference names is a port the callee listens on.
  const listenPorts = new Map<string, number[]>();
  for (const [name, st] of statics) listenPorts.set(name, st.declaredPorts);
  // A reference to a debugger's port is never a call the cloud allows.
  const calls = candidates.flatMap((c) => withoutDebuggerPorts(c, statics.get(c.to)?.debuggers, warnings));
  for (const c of calls) listenPorts.set(c.to, sortedUnique([...(listenPorts.get(c.to) ?? []), ...c.ports]));
  const sources = new Map([...statics].map(([name, st]) => [name, st.portSources]));
  const udp = new Map([...statics].map(([name, st]) => [name, st.udpPorts]));
  const settled = settleCallPorts(calls, listenPorts, sources, udp);
  for (const { refusal: r } of settled.unknownPorts) {
    warnings.push({
      severity: 'warning',
      message: r.message,
      path: r.path,
      location: r.location,
      hint: r.fix,
    });
  }
  // The names callers use for each callee, which the cloud registers beside its service name.
  const callerNames = new Map<string, string[]>();
  for (const c of calls)
    callerNames.set(c.to, [...new Set([...(callerNames.get(c.to) ?? []), ...c.names])].sort());
  return { ...settled, listenPorts, callerNames };
}

/** Edges from the internet to each public service's entry ports; a public service without one is a warning. */
function internetEdges(services: readonly ServiceModel[], warnings: Diagnostic[]): TrafficEdge[] {
  for (const s of services.filter((x) => x.public && x.intent.entryPorts.length === 0)) {
    warnings.push({
      severity: 'warning',
      message: `public service "${s.name}" listens on no known port`,
      path: `services.${s.name}`,
      location: s.location,
      hint: 'add `ports:` (or `expose:`) so the load balancer knows where to send traffic',
    });
  }
  return services
    .filter((s) => s.public && s.intent.entryPorts.length > 0)
    .map((s) => ({
      from: INTERNET,
      to: s.name,
      ports: sortedUnique(s.intent.entryPorts.map((p) => p.port)),
      protocol: 'tcp',
      reason: s.ports.length > 0 ? 'published' : 'public',
      declared: true,
      evidence: [],
    }));
}

function settleCatchAll(
  services: readonly ServiceModel[],
  ctx: IntentContext,
  warnings: Diagnostic[],
): AppIntent['catchAll'] {
  const entries = services
    .filter((s) => s.public)
    .map((s) => ({ name: s.name, entryPorts: s.intent.entryPorts }));
  if (ctx.catchAll !== undefined) {
    const e = entries.find((x) => x.name === ctx.catchAll);
    if (!e || !e.entryPorts.some((p) => p.balancer === 'application')) {
      const http = entries.filter((x) => x.entryPorts.some((p) => p.balancer === 'application'));
      throw new ShipshapeError(
        `x-shipshape.catch-all names "${ctx.catchAll}", which is not a public HTTP service`,
        {
          location: ctx.locate(['x-shipshape', 'catch-all']),
          path: 'x-shipshape.catch-all',
          hint:
            http.length > 0
              ? `public HTTP services: ${http.map((x) => x.name).join(', ')}`
              : 'no service is a public HTTP entry; remove catch-all',
        },
      );
    }
  }
  const choice = decideCatchAll(entries, ctx.catchAll);
  if (choice?.ambiguous) {
    warnings.push({
      severity: 'warning',
      message: `several public services could take the catch-all route (${choice.ambiguous.join(', ')}); chose "${choice.service}" (${choice.reason})`,
      path: 'x-shipshape.catch-all',
      location: ctx.locate(['x-shipshape']),
      hint: `set \`x-shipshape: { catch-all: ${choice.service} }\` at the top level to make the choice explicit`,
    });
  }
  return choice ? { service: choice.service, reason: choice.reason } : undefined;
}

/** The managed datastores of the app, by service name, with the hostnames callers use. */
function managedStores(
  normalized: readonly NormalizedService[],
  statics: ReadonlyMap<string, StaticIntent>,
): Map<string, ManagedStore> {
  const stores = new Map<string, ManagedStore>();
  for (const s of normalized) {
    const st = statics.get(s.name)!;
    const d = st.datastore;
    if (st.placement.placement !== 'managed' || !d?.engine) continue;
    stores.set(s.name, {
      name: s.name,
      hosts: [...new Set([s.name, ...s.aliases])],
      intent: d as DatastoreIntent & { engine: ManagedEngine },
      local: st.local ?? { passwords: [], users: [], accessKeys: [] },
    });
  }
  return stores;
}

/**
 * A call naming a callee's debugger port: the port is dropped (no service may reach a debugger in
 * the cloud) with a located warning; a reference left with no port is no call.
 */
function withoutDebuggerPorts(
  c: CallCandidate,
  debuggers: ReadonlyMap<number, string> | undefined,
  warnings: Diagnostic[],
): CallCandidate[] {
  const debug = c.ports.filter((p) => debuggers?.has(p));
  if (debug.length === 0 || !debuggers) return [c];
  const ev = c.evidence.find((e) => debug.some((p) => e.text.includes(String(p)))) ?? c.evidence[0]!;
  warnings.push({
    severity: 'warning',
    message: `${c.from} names ${c.to}'s debugger port ${debug.join(', ')} (${debuggers.get(debug[0]!)}); no service may reach a debugger in the cloud`,
    path: ev.path,
    location: ev.location,
    hint: `remove the reference, or add \`x-shipshape: { ignore-edges: [${c.to}] }\` to ${c.from}`,
  });
  const ports = c.ports.filter((p) => !debuggers.has(p));
  return ports.length > 0 || c.reason !== 'reference' ? [{ ...c, ports }] : [];
}

/** Each service's decisions that depend on it alone (and on who waits for it to complete). */
function staticIntents(
  normalized: readonly NormalizedService[],
  ctx: IntentContext,
): Map<string, StaticIntent> {
  const waiters = completionWaiters(normalized);
  return new Map(normalized.map((s) => [s.name, staticIntent(s, waiters.get(s.name) ?? [], ctx)]));
}

interface StaticIntent {
  placement: ReturnType<typeof decidePlacement>;
  image?: ImageRef;
  configFiles: ConfigFile[];
  datastore?: DatastoreIntent;
  /** The admin tool the image is (phpMyAdmin...), when it is one. */
  adminTool?: string;
  /** Local credentials of a managed datastore (to map its callers' variables; never printed). */
  local?: LocalCredentials;
  warnings: Diagnostic[];
  declaredPorts: number[];
  /** Where the declared ports come from, for the reasons of edges that name no port. */
  portSources: string;
  /** Its debugger ports (well-known, and those its command line opens): never reachable. */
  debuggers: ReadonlyMap<number, string>;
  /** Ports it declares only over UDP. */
  udpPorts: number[];
  user: ServiceIntent['user'];
  imageFacts?: ServiceIntent['imageFacts'];
  platform: ServiceIntent['platform'];
  healthcheck?: ServiceIntent['healthcheck'];
  secrets: ServiceIntent['secrets'];
  environment: ServiceIntent['environment'];
  mounts: ServiceIntent['mounts'];
  cloudImage: ServiceIntent['cloudImage'];
  refusals: ServiceIntent['refusals'];
}

/** Decisions that depend on the service alone. */
function staticIntent(s: NormalizedService, waiters: readonly string[], ctx: IntentContext): StaticIntent {
  const read = serviceDockerfile(s, ctx.locate);
  const df = read?.kind === 'parsed' ? read.dockerfile : undefined;
  const { ref, built } = imageOf(s, df);
  const { datastore, refusal: datastoreRefusal, local } = decideDatastore(s, ref, built, ctx);
  const runtime = datastore && ref && !built ? datastoreRuntime(datastore.kind, ref) : undefined;
  const imageFacts = decideImageFacts(s, ctx.lock);
  const facts = imageFacts?.facts;
  // A debugger's port is never reachable in the cloud: not a listening port, not a call's port.
  const debuggers = debuggerPortsOf(s);
  const { declaredPorts, portSources } = declarePorts(s, df, datastore, facts?.ports ?? [], debuggers);
  const userPath = ['services', s.name, 'user'];
  const user = decideUser(
    s,
    df,
    s.build ? undefined : ref,
    s.user !== undefined ? ctx.locate(userPath) : undefined,
    runtime?.user,
    facts,
  );
  const platformWarnings: Diagnostic[] = [];
  const platform = decidePlatform(s, facts, platformWarnings);
  const healthcheck = decideHealthcheck(s, facts);
  const adminTool = ref ? adminToolOf(ref) : undefined;
  const placement = decidePlacement(s, datastore, waiters, adminTool);
  const managed = placement.placement === 'managed' ? datastore?.managedBy : undefined;
  const plan = decideMounts(s, ctx, managed);
  const { refusals } = plan;
  const cloudImage =
    facts?.digest && plan.cloudImage.kind !== 'build'
      ? { ...plan.cloudImage, pinned: withDigest(facts.image, facts.digest) }
      : plan.cloudImage;
  const mounts = withOwners(plan.mounts, user);
  if (runtime) mounts.push(...impliedMounts(runtime.writable, ref!.name, !!managed));
  refusals.push(...hostOnlyRefusals(s, ctx), ...buildContextRefusals(s, ctx));
  if (read?.kind === 'problem') refusals.push(dockerfileRefusal(read));
  refusals.push(...argumentRefusals(s, ctx), ...taskSizeRefusals(s, ctx), ...secretFileRefusals(s, ctx));
  if (datastoreRefusal) refusals.push(datastoreRefusal);
  refusals.push(...secretTargetRefusals(s, ctx));
  const secrets = decideSecrets(s, { secrets: ctx.secrets });
  return {
    placement,
    ...(adminTool ? { adminTool } : {}),
    ...(ref && !built ? { image: ref } : {}),
    configFiles: configFilesOf(s, mounts, df),
    ...(datastore ? { datastore } : {}),
    ...(local ? { local } : {}),
    warnings: [...datastoreWarnings(s, datastore, mounts, ctx), ...platformWarnings],
    declaredPorts,
    portSources,
    debuggers,
    udpPorts: s.udpPorts,
    user,
    ...(imageFacts ? { imageFacts } : {}),
    platform,
    ...(healthcheck ? { healthcheck } : {}),
    secrets,
    environment: decideEnvironment(s, (name) => ctx.environmentOrigin(s.name, name)),
    mounts,
    cloudImage,
    refusals: [
      ...(placement.placement === 'local-only' || managed ? [] : refusals),
      ...publicRefusals(s, datastore, adminTool, ctx),
    ],
  };
}

/** A secret mounted outside /run/secrets: in the cloud, secrets arrive only there. */
function secretTargetRefusals(s: NormalizedService, ctx: IntentContext): Refusal[] {
  return s.secrets.flatMap((ref, i): Refusal[] => {
    if (ref.target.startsWith('/run/secrets/')) return [];
    const path = ['services', s.name, 'secrets', i];
    return [
      {
        rule: 'secret-target',
        path: formatPath(path),
        location: ctx.locate(path),
        message: `secret "${ref.source}" targets ${ref.target}; in the cloud secrets arrive only under /run/secrets`,
        fix: `drop \`target:\` (the file is then /run/secrets/${ref.source}), or point it under /run/secrets/`,
      },
    ];
  });
}

/** The ports a service listens on as far as anything declares them, and where each list comes from. */
function declarePorts(
  s: NormalizedService,
  df: ParsedDockerfile | undefined,
  datastore: DatastoreIntent | undefined,
  imagePorts: number[],
  debuggers: ReadonlyMap<number, string>,
): { declaredPorts: number[]; portSources: string } {
  const listening = (ports: number[]) => ports.filter((p) => !debuggers.has(p));
  const parts: [string, number[]][] = [
    ['compose', listening(s.servicePorts)],
    ['Dockerfile EXPOSE', listening(df?.built ? exposedPorts(df.built) : [])],
    [`${datastore?.kind ?? ''} port`, datastore ? [datastore.port] : []],
    ['labels', listening(labelledPorts(s.labels))],
    ['image EXPOSE', listening(imagePorts)],
  ];
  const named = parts.filter(([, ports]) => ports.length > 0);
  return {
    declaredPorts: sortedUnique(named.flatMap(([, ports]) => ports)),
    portSources: named.map(([what, ports]) => `${what} ${sortedUnique(ports).join(', ')}`).join('; '),
  };
}

/**
 * `x-shipshape.public: true` on a datastore (poolers included) or an admin tool: refused, also for
 * a datastore that becomes a managed service (which shipshape never makes public).
 */
function publicRefusals(
  s: NormalizedService,
  datastore: DatastoreIntent | undefined,
  adminTool: string | undefined,
  ctx: IntentContext,
): Refusal[] {
  if (s.x.public !== true || (!datastore && !adminTool)) return [];
  const path = ['services', s.name, 'x-shipshape', 'public'];
  const what = datastore ? `${datastore.kind} datastore` : `${adminTool} (an admin tool)`;
  return [
    {
      rule: 'public-datastore',
      path: formatPath(path),
      location: ctx.locate(path),
      message: `x-shipshape.public: true would put the ${what} "${s.name}" on the internet`,
      fix: `remove \`public: true\`; its callers reach it privately${adminTool ? ' (an admin tool stays a local tool)' : ''}`,
    },
  ];
}

/**
 * No service is public, but one publishes its port on loopback only (`127.0.0.1:8000:8000`, for a
 * reverse proxy on the host): in the cloud the load balancer is that proxy, which the model will
 * not assume — it says so, with the one-line fix.
 */
function loopbackOnlyApp(services: readonly ServiceModel[], ctx: IntentContext): Diagnostic[] {
  if (services.some((s) => s.public)) return [];
  return services
    .filter((s) => s.intent.placement === 'service' && !s.intent.datastore)
    .filter((s) =>
      s.ports.some((p) => p.hostIp !== undefined && /^(127\.|::1|\[::1\]|localhost)/.test(p.hostIp)),
    )
    .map((s) => ({
      severity: 'warning' as const,
      message: `no service is public: ${s.name} publishes its ports on loopback only, which the cloud reads as "local tools only"`,
      path: `services.${s.name}.ports`,
      location: ctx.locate(['services', s.name, 'ports']),
      hint: `if ${s.name} is the app's entry behind a reverse proxy on the host, say so: \`x-shipshape: { public: true }\` (the load balancer is the proxy in the cloud)`,
    }));
}

/** A deployed service calling one that is not deployed (an admin tool, `local-only`): it fails in the cloud. */
function callsToLocalOnly(
  calls: readonly TrafficEdge[],
  statics: ReadonlyMap<string, StaticIntent>,
): Diagnostic[] {
  const placement = (name: string) => statics.get(name)?.placement.placement;
  const seen = new Set<string>();
  return calls
    .filter((e) => placement(e.to) === 'local-only' && placement(e.from) !== 'local-only')
    .filter((e) => !seen.has(`${e.from}\0${e.to}`) && seen.add(`${e.from}\0${e.to}`))
    .map((e) => ({
      severity: 'warning' as const,
      message: `${e.from} calls ${e.to} (${e.evidence[0]?.text ?? 'declared'}), which is not deployed in the cloud (${statics.get(e.to)!.placement.placementReason}): the call fails there`,
      path: e.evidence[0]?.path,
      location: e.evidence[0]?.location,
      hint: `point ${e.from} at a service that exists in the cloud (a mail service, say), or keep ${e.from} local too`,
    }));
}

/**
 * Service names that become the same cloud name: ECS, Service Connect and DNS names allow only
 * lowercase letters, digits, `-` and `_`, so `a.b` and `a-b` (or `Api` and `api`) would be one
 * service in the cloud. The later one is refused, located.
 */
function nameCollisions(services: readonly ServiceModel[], ctx: IntentContext): Map<string, Refusal> {
  const out = new Map<string, Refusal>();
  const seen = new Map<string, string>();
  for (const s of services.filter((x) => x.intent.placement !== 'local-only')) {
    const cloud = s.name.toLowerCase().replace(/[^a-z0-9_-]/g, '-');
    const first = seen.get(cloud);
    if (first === undefined) {
      seen.set(cloud, s.name);
      continue;
    }
    const path = ['services', s.name];
    out.set(s.name, {
      rule: 'service-name',
      path: formatPath(path),
      location: ctx.locate(path),
      message: `"${s.name}" and "${first}" are both "${cloud}" in the cloud (ECS and DNS names are lowercase letters, digits, - and _)`,
      fix: `rename one of them so the two differ in letters or digits`,
    });
  }
  return out;
}

/**
 * A compose secret read from the host itself (`file: /etc/shadow`, a socket): `up` mounts that
 * file into the container. Judged like any host path; a secret file elsewhere outside the
 * project (`~/secrets/db.txt`) is what secrets are for.
 */
function secretFileRefusals(s: NormalizedService, ctx: IntentContext): Refusal[] {
  return s.secrets.flatMap((ref) => {
    const file = ctx.secrets.find((d) => d.name === ref.source)?.file;
    if (!file) return [];
    const real = realPath(file);
    const socket = isEngineSocket(file);
    if (!socket && !isSystemPath(real)) return [];
    const path = ['secrets', ref.source, 'file'];
    return [
      {
        rule: socket ? ('docker-socket' as const) : ('host-path' as const),
        path: formatPath(path),
        location: ctx.locate(path),
        message: `secret "${ref.source}" is the host's ${real}${real !== file ? ` (${file} leads there)` : ''}, mounted into ${s.name}`,
        fix: 'keep the secret in a file of its own (outside the repository if you like), not a system file',
      },
    ];
  });
}

/** A task size Fargate cannot give (`cpus: 64`): refused where compose asks for it. */
function taskSizeRefusals(s: NormalizedService, ctx: IntentContext): Refusal[] {
  const { cpus, memoryBytes } = s.resources.limits;
  try {
    fargateSize(cpus, memoryBytes);
    return [];
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const path = ['services', s.name, 'deploy', 'resources', 'limits'];
    const tooManyCpus = cpus !== undefined && cpus > 16;
    // deploy.resources.limits when written there, else the legacy key (`cpus`, `mem_limit`).
    const service = ctx.locate(['services', s.name]);
    const written = ctx.locate([...path, tooManyCpus ? 'cpus' : 'memory']);
    const legacy = ctx.locate(['services', s.name, tooManyCpus ? 'cpus' : 'mem_limit']);
    const same = (a: SourceLocation, b: SourceLocation) => a.line === b.line && a.column === b.column;
    return [
      {
        rule: 'fargate-unsupported',
        path: formatPath(path),
        location: same(written, service) ? legacy : written,
        message: e.message,
        fix: 'ask for at most 16 CPUs and 120 GiB (`deploy.resources.limits`), or keep the service local with `x-shipshape: { local-only: true }`',
      },
    ];
  }
}

/** A Dockerfile `docker build` would fail on: the cloud image cannot be built. */
function dockerfileRefusal(p: Extract<BuildDockerfile, { kind: 'problem' }>): Refusal {
  return { rule: 'dockerfile', path: p.path, location: p.location, message: p.message, fix: p.fix };
}

/**
 * One owner per persistent volume (one EFS access point): the user of the first service that
 * mounts it writable (else the first that mounts it). Other services see its files as that owner;
 * a service whose own user differs and writes to it is warned about.
 */
function settleVolumeOwners(
  normalized: readonly NormalizedService[],
  statics: Map<string, StaticIntent>,
  warnings: Diagnostic[],
): void {
  const users = new Map<
    string,
    { service: string; owner: { uid: number; gid: number }; writable: boolean }[]
  >();
  for (const s of normalized) {
    for (const m of statics.get(s.name)!.mounts) {
      if (m.cloud !== 'volume' || !m.owner) continue;
      const key = m.source ?? m.target;
      users.set(key, [...(users.get(key) ?? []), { service: s.name, owner: m.owner, writable: !m.readOnly }]);
    }
  }
  for (const [key, list] of users) {
    const chosen = list.find((u) => u.writable) ?? list[0]!;
    const same = (o: { uid: number; gid: number }) =>
      o.uid === chosen.owner.uid && o.gid === chosen.owner.gid;
    for (const u of list.filter((x) => !same(x.owner))) {
      const st = statics.get(u.service)!;
      st.mounts = st.mounts.map((m) =>
        m.cloud === 'volume' && (m.source ?? m.target) === key
          ? {
              ...m,
              owner: chosen.owner,
              reason: `${m.reason.replace(/; owned by .*$/, '')}; owned by ${chosen.owner.uid}:${chosen.owner.gid}, the user of ${chosen.service}, which shares it (one owner per volume)`,
            }
          : m,
      );
      if (u.writable) {
        warnings.push({
          severity: 'warning',
          message: `${u.service} and ${chosen.service} both write volume "${key}" as different users (${u.owner.uid}:${u.owner.gid} and ${chosen.owner.uid}:${chosen.owner.gid}); in the cloud both act as ${chosen.owner.uid}:${chosen.owner.gid}`,
          path: `services.${u.service}.volumes`,
          hint: `run both as one user (\`user: "${chosen.owner.uid}:${chosen.owner.gid}"\`), or give each its own volume`,
        });
      }
    }
  }
}

/** Persistent volumes get the owner their files have in the cloud, said in the reason. */
function withOwners(mounts: ServiceIntent['mounts'], user: ServiceIntent['user']): ServiceIntent['mounts'] {
  return mounts.map((m) => {
    if (m.cloud !== 'volume') return m;
    const { owner, note } = volumeOwner(user);
    return { ...m, owner, reason: `${m.reason}; ${note}` };
  });
}

/** Findings about datastores: data that would not survive, stand-ins without declared resources. */
function datastoreWarnings(
  s: NormalizedService,
  d: DatastoreIntent | undefined,
  mounts: ServiceIntent['mounts'],
  ctx: IntentContext,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const misplaced = (key: 'tables' | 'buckets', engine: string, what: string) => {
    if (s.x[key].length > 0 && d?.engine !== engine)
      out.push({
        severity: 'warning',
        message: `${s.name}: x-shipshape.${key} applies only to ${what}; ignored`,
        path: `services.${s.name}.x-shipshape.${key}`,
        location: ctx.locate(['services', s.name, 'x-shipshape', key]),
        hint: `move it to the ${what} service, or remove it`,
      });
  };
  misplaced('tables', 'dynamodb', 'a DynamoDB stand-in (amazon/dynamodb-local)');
  misplaced('buckets', 's3', 'an S3 stand-in (minio/minio)');
  if (!d || s.x.localOnly) return out;
  if (
    d.cloud === 'container' &&
    d.dataDir &&
    !mounts.some((m) => m.cloud === 'volume' && m.target === d.dataDir)
  ) {
    out.push({
      severity: 'warning',
      message: `${s.name} runs as a container in the cloud, but its data directory ${d.dataDir} is not a volume: the data is lost on every deployment`,
      path: `services.${s.name}.volumes`,
      location: s.location,
      hint: `add a named volume: \`volumes: [${s.name}-data:${d.dataDir}]\` (persistent on Amazon EFS in the cloud)`,
    });
  }
  if (d.engine === 'dynamodb' && s.x.tables.length === 0) {
    out.push({
      severity: 'warning',
      message: `${s.name}: no tables declared, so the cloud gets one table "main" (partition key pk, sort key sk)`,
      path: `services.${s.name}.x-shipshape.tables`,
      location: ctx.locate(['services', s.name]),
      hint: 'declare the tables the app uses: `x-shipshape: { tables: [{ name: messages, partition-key: pk, sort-key: sk }] }`',
    });
  }
  return out;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

function sortedUnique(ports: number[]): number[] {
  return [...new Set(ports)].sort((a, b) => a - b);
}
