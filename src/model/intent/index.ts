import { ShipshapeError } from '../errors.js';
import { exposedPorts, readDockerfile, stageBaseImage, type ParsedDockerfile } from '../dockerfile.js';
import { parseImageRef } from '../image-ref.js';
import type { NormalizedService } from '../normalize.js';
import {
  INTERNET,
  type AppIntent,
  type DatastoreIntent,
  type Decision,
  type Diagnostic,
  type ImageRef,
  type SecretModel,
  type ServiceIntent,
  type ServiceModel,
  type SourceLocation,
  type TrafficEdge,
  type TrafficGraph,
} from '../types.js';
import { formatPath, type DocPath } from '../yaml-source.js';
import { datastoreOf, labelledPorts, managedServiceFor } from './catalog.js';
import { callCandidates, hostIndex, settleCallPorts, type CallCandidate, type ConfigFile } from './edges.js';
import { configFilesOf } from './config-files.js';
import { decideEnvironment, decideSecrets, type EnvironmentOrigin } from './environment.js';
import { decideCatchAll, decideExposure, entryCandidates } from './exposure.js';
import { decideMounts, hostOnlyRefusals } from './mounts.js';
import { describeService } from './describe.js';
import { decideUser } from './user.js';

export { decideUser, isRootUser, runsAsRoot } from './user.js';
export { isSensitive } from './environment.js';

export interface IntentContext {
  projectDir: string;
  secrets: SecretModel[];
  /** App-level `x-shipshape.catch-all`. */
  catchAll?: string;
  locate(path: DocPath): SourceLocation;
  /** Whether an environment value was written literally in a compose file. */
  environmentOrigin(service: string, name: string): EnvironmentOrigin;
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

function decideDatastore(
  s: NormalizedService,
  ref: ImageRef | undefined,
  built: boolean,
): DatastoreIntent | undefined {
  const hit = ref ? datastoreOf(ref) : undefined;
  if (!hit) return undefined;
  const what = built ? `built from ${ref!.reference}` : `${ref!.repository.replace(/^library\//, '')} image`;
  const managedBy = managedServiceFor(hit.kind);
  if (!managedBy)
    return {
      ...hit,
      cloud: 'container',
      reason: `${what}: a private container (no managed mapping for ${hit.kind})`,
    };
  if (!s.x.managed)
    return {
      ...hit,
      cloud: 'container',
      reason: `${what}: kept a private container (x-shipshape.managed: false)`,
    };
  if (built)
    return {
      ...hit,
      cloud: 'container',
      reason: `${what} with its own Dockerfile: kept a private container (set image: to use ${managedBy})`,
    };
  return { ...hit, cloud: 'managed', managedBy, reason: `${what} → ${managedBy}` };
}

/**
 * Decide the production intent of every service, once: exposure, protocols, the catch-all route,
 * calls (with ports and evidence), users, secrets, environment, mounts and refusals. Pure except
 * for reading Dockerfiles and checking whether bind-mount sources are files.
 */
export function decideIntent(normalized: readonly NormalizedService[], ctx: IntentContext): IntentResult {
  const warnings: Diagnostic[] = [];
  const statics = new Map(normalized.map((s) => [s.name, staticIntent(s, ctx)]));
  const datastores = new Map([...statics].filter(([, v]) => v.datastore).map(([k, v]) => [k, v.datastore!]));

  const hosts = hostIndex(normalized);
  const candidates: CallCandidate[] = [];
  const decisions: Decision[] = [];
  for (const s of normalized) {
    const { calls, startOrderOnly, ignored } = callCandidates(
      s,
      normalized,
      hosts,
      ctx,
      statics.get(s.name)!.configFiles,
    );
    candidates.push(...calls);
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
  // A port a reference names is a port the callee listens on.
  const listenPorts = new Map<string, number[]>();
  for (const [name, st] of statics) listenPorts.set(name, st.declaredPorts);
  for (const c of candidates)
    listenPorts.set(c.to, sortedUnique([...(listenPorts.get(c.to) ?? []), ...c.ports]));
  const { edges: calls, unknownPorts } = settleCallPorts(candidates, listenPorts);
  for (const { refusal: r } of unknownPorts) {
    warnings.push({
      severity: 'warning',
      message: r.message,
      path: r.path,
      location: r.location,
      hint: r.fix,
    });
  }

  const entryNames = entryCandidates(normalized, datastores);
  const services = normalized.map((s): ServiceModel => {
    const st = statics.get(s.name)!;
    const exposure = decideExposure(s, st.datastore, entryNames, calls, listenPorts.get(s.name)!);
    const intent: ServiceIntent = {
      ...(st.image ? { image: st.image } : {}),
      ...(st.datastore ? { datastore: st.datastore } : {}),
      exposure: exposure.exposure,
      exposureReason: exposure.reason,
      entryPorts: exposure.entryPorts,
      debugPorts: exposure.debugPorts,
      listenPorts: listenPorts.get(s.name)!,
      user: st.user,
      secrets: st.secrets,
      environment: st.environment,
      mounts: st.mounts,
      cloudImage: st.cloudImage,
      refusals: [...st.refusals, ...unknownPorts.filter((u) => u.caller === s.name).map((u) => u.refusal)],
    };
    return { ...s, public: exposure.exposure === 'public', intent };
  });

  const publicEdges: TrafficEdge[] = services
    .filter((s) => s.public && s.intent.entryPorts.length > 0)
    .map((s) => ({
      from: INTERNET,
      to: s.name,
      ports: sortedUnique(s.intent.entryPorts.map((p) => p.port)),
      protocol: 'tcp',
      reason: s.ports.length > 0 ? 'published' : 'public',
      evidence: [],
    }));
  for (const s of services.filter((x) => x.public && x.intent.entryPorts.length === 0)) {
    warnings.push({
      severity: 'warning',
      message: `public service "${s.name}" listens on no known port`,
      path: `services.${s.name}`,
      location: s.location,
      hint: 'add `ports:` (or `expose:`) so the load balancer knows where to send traffic',
    });
  }
  const catchAll = settleCatchAll(services, ctx, warnings);
  for (const s of services) decisions.push(...describeService(s, calls, ctx.projectDir));
  if (catchAll)
    decisions.push({ topic: 'route', text: `catch-all /* → ${catchAll.service} (${catchAll.reason})` });
  return {
    services,
    traffic: { edges: [...publicEdges, ...calls] },
    intent: { ...(catchAll ? { catchAll } : {}), decisions },
    warnings,
  };
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
    if (!e || !e.entryPorts.some((p) => p.protocol === 'http' || p.protocol === 'https')) {
      const http = entries.filter((x) =>
        x.entryPorts.some((p) => p.protocol === 'http' || p.protocol === 'https'),
      );
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

interface StaticIntent {
  image?: ImageRef;
  configFiles: ConfigFile[];
  datastore?: DatastoreIntent;
  declaredPorts: number[];
  user: ServiceIntent['user'];
  secrets: ServiceIntent['secrets'];
  environment: ServiceIntent['environment'];
  mounts: ServiceIntent['mounts'];
  cloudImage: ServiceIntent['cloudImage'];
  refusals: ServiceIntent['refusals'];
}

/** Decisions that depend on the service alone. */
function staticIntent(s: NormalizedService, ctx: IntentContext): StaticIntent {
  const df = s.build ? readDockerfile(s.build) : undefined;
  const { ref, built } = imageOf(s, df);
  const datastore = decideDatastore(s, ref, built);
  const declaredPorts = sortedUnique([
    ...s.servicePorts,
    ...(df?.built ? exposedPorts(df.built) : []),
    ...(datastore ? [datastore.port] : []),
    ...labelledPorts(s.labels),
  ]);
  const userPath = ['services', s.name, 'user'];
  const user = decideUser(
    s,
    df,
    s.build ? undefined : ref,
    s.user !== undefined ? ctx.locate(userPath) : undefined,
  );
  const managed = datastore?.cloud === 'managed' ? datastore.managedBy : undefined;
  const { mounts, refusals, cloudImage } = decideMounts(s, ctx, managed);
  refusals.push(...hostOnlyRefusals(s, ctx));
  const secrets = decideSecrets(s, { secrets: ctx.secrets });
  s.secrets.forEach((ref, i) => {
    if (!ref.target.startsWith('/run/secrets/')) {
      const path = ['services', s.name, 'secrets', i];
      refusals.push({
        rule: 'secret-target',
        path: formatPath(path),
        location: ctx.locate(path),
        message: `secret "${ref.source}" targets ${ref.target}; in the cloud secrets arrive only under /run/secrets`,
        fix: `drop \`target:\` (the file is then /run/secrets/${ref.source}), or point it under /run/secrets/`,
      });
    }
  });
  return {
    ...(ref && !built ? { image: ref } : {}),
    configFiles: configFilesOf(s, mounts, df),
    ...(datastore ? { datastore } : {}),
    declaredPorts,
    user,
    secrets,
    environment: decideEnvironment(s, (name) => ctx.environmentOrigin(s.name, name)),
    mounts,
    cloudImage,
    refusals: s.x.localOnly || managed ? [] : refusals,
  };
}

function sortedUnique(ports: number[]): number[] {
  return [...new Set(ports)].sort((a, b) => a - b);
}
