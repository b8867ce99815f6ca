import { formatPath } from '../yaml-source.js';
import type {
  CloudPlacement,
  Refusal,
  SourceLocation,
  DatastoreIntent,
  EntryPort,
  EntryProtocol,
  PortMapping,
  TrafficEdge,
} from '../types.js';
import type { NormalizedService } from '../normalize.js';
import { appProtocolOf, datastorePortProtocol, HTTPS_PORTS, nonHttpPort } from './catalog.js';
import { balancerFor } from './placement.js';

/**
 * Who the internet reaches in the cloud. Compose publishes ports for a laptop: the web entry, but
 * also a database or an API for debugging. A service is public when it publishes ports and is
 * none of: marked `x-shipshape.public: false`, a datastore (by image: databases, caches, brokers,
 * poolers), an admin tool (not deployed), a service whose published ports all speak a datastore
 * protocol or are debugger ports, or a service another would-be entry calls (it sits behind that
 * entry). `x-shipshape.public: true` wins, except that the gate refuses it on a datastore or an
 * admin tool. Debugger and datastore-protocol ports of a public service, and every published port
 * of a private service, stay local debug ports.
 */
export interface Exposure {
  exposure: 'public' | 'private';
  reason: string;
  entryPorts: EntryPort[];
  debugPorts: PortMapping[];
}

/** Debugger and profiler ports: published for a developer, never an entry, never called by another service. */
const DEBUGGER_PORTS = new Map<number, string>([
  [9229, 'Node.js inspector'],
  [9230, 'Node.js inspector'],
  [5858, 'Node.js legacy debugger'],
  [9222, 'Chrome DevTools protocol'],
  [5005, 'Java debugger (JDWP)'],
  [5678, 'Python debugger (debugpy)'],
  [2345, 'Go debugger (Delve)'],
  [9003, 'Xdebug'],
  [4000, 'Elixir debugger'],
]);

/** The debugger a port is for, when it is a well-known debugger port (never reachable in the cloud). */
export function debuggerPort(port: number): string | undefined {
  return DEBUGGER_PORTS.get(port);
}

/**
 * Debugger listeners a service's command line or environment opens, on any port: Node's
 * `--inspect[-brk]=[host:]port` (also in NODE_OPTIONS), Java's `-agentlib:jdwp=...address=port`
 * and `-Xrunjdwp:...address=` (also in JAVA_TOOL_OPTIONS, JAVA_OPTS...), Tomcat's JPDA_ADDRESS,
 * debugpy's and Delve's `--listen [host:]port`, Ruby's `rdbg`/`rdebug-ide --port`.
 */
const DEBUGGER_FLAGS: [RegExp, string][] = [
  // The host part may be anything up to the last colon: 0.0.0.0:, *:, [::]:, localhost:.
  [/--inspect(?:-brk|-wait)?[= ](?:\S*:)?(\d{1,5})\b/g, 'Node.js inspector'],
  [/(?:-agentlib:jdwp=|-Xrunjdwp:)\S*?address=(?:[^\s,]*:)?(\d{1,5})\b/g, 'Java debugger (JDWP)'],
  [/\bJPDA_ADDRESS=(?:\S*:)?(\d{1,5})\b/g, 'Java debugger (Tomcat JPDA)'],
  [/\bdebugpy\b[^;&|]*?--listen[= ](?:\S*:)?(\d{1,5})\b/g, 'Python debugger (debugpy)'],
  [/\bdlv\b[^;&|]*?--listen[= ](?:\S*:)?(\d{1,5})\b/g, 'Go debugger (Delve)'],
  [/\b(?:rdbg|rdebug-ide)\b[^;&|]*?--port[= ](\d{1,5})\b/g, 'Ruby debugger'],
];

/** Every debugger port of a service: the well-known ones and those its command line opens. */
export function debuggerPortsOf(
  s: Pick<NormalizedService, 'command' | 'entrypoint' | 'environment'>,
): ReadonlyMap<number, string> {
  const known = debuggersOf.get(s);
  if (known) return known;
  const out = new Map(DEBUGGER_PORTS);
  const text = [
    ...(s.entrypoint ?? []),
    ...(s.command ?? []),
    ...Object.entries(s.environment).map(([k, v]) => `${k}=${v}`),
  ].join(' ');
  for (const [re, what] of DEBUGGER_FLAGS) for (const m of text.matchAll(re)) out.set(Number(m[1]), what);
  debuggersOf.set(s, out);
  return out;
}

/** Each service's debugger ports, read once: notAnEntry asks for every port it judges. */
const debuggersOf = new WeakMap<object, ReadonlyMap<number, string>>();

/** The protocol of an entry port, with the reason for it. */
export function entryProtocol(
  s: Pick<NormalizedService, 'x'>,
  port: number,
  mapping: PortMapping | undefined,
): { protocol: EntryProtocol; reason: string } {
  const declared = s.x.protocols[port];
  if (declared) return { protocol: declared, reason: `x-shipshape.protocols says ${declared}` };
  if (mapping?.appProtocol) {
    const p = appProtocolOf(mapping.appProtocol);
    if (p) return { protocol: p, reason: `app_protocol: ${mapping.appProtocol}` };
  }
  if (mapping?.protocol === 'udp') return { protocol: 'udp', reason: 'published as /udp' };
  const named = nonHttpPort(port);
  if (named) return { protocol: 'tcp', reason: `${port} is the ${named} port` };
  // `53:5353`: the host port says what the container port (unknown here) carries.
  const published = mapping?.published !== undefined ? nonHttpPort(mapping.published) : undefined;
  if (published)
    return { protocol: 'tcp', reason: `published on ${mapping!.published}, the ${published} port` };
  if (HTTPS_PORTS.has(port)) return { protocol: 'https', reason: `${port} is an HTTPS port` };
  return { protocol: 'http', reason: 'the default for a web entry' };
}

/**
 * Why a published port is never an entry, whatever the image: bound to the loopback interface
 * (published for local tools only), a debugger's port, or a port that speaks a datastore's
 * protocol (unless `x-shipshape.protocols` says what it speaks).
 */
function notAnEntry(
  s: Pick<NormalizedService, 'x' | 'command' | 'entrypoint' | 'environment'>,
  p: Pick<PortMapping, 'target' | 'hostIp'>,
): string | undefined {
  if (p.hostIp !== undefined && LOOPBACK.test(p.hostIp)) return `published on ${p.hostIp} only`;
  const debug = debuggerPortsOf(s).get(p.target);
  if (debug) return debug;
  const store = datastorePortProtocol(p.target);
  return store && !s.x.protocols[p.target] ? `${store} port` : undefined;
}

const LOOPBACK =
  /^\[?(127\.\d+\.\d+\.\d+|::1|(0{1,4}:){7}0{0,3}1|::ffff:127\.\d+\.\d+\.\d+|(0{1,4}:){5}ffff:127\.\d+\.\d+\.\d+)\]?$|^localhost$/i;

/**
 * A TLS port published beside the service's HTTP entry (`80` and `443`, `8000` and `8443`): the
 * same entry over TLS, which the load balancer's HTTPS listener (with a certificate) serves; not
 * an entry of its own.
 */
function tlsTwin(s: NormalizedService, p: PortMapping, entries: readonly PortMapping[]): boolean {
  const protocol = (m: PortMapping) => entryProtocol(s, m.target, m).protocol;
  return protocol(p) === 'https' && entries.some((m) => m !== p && protocol(m) === 'http');
}

/** What keeps a service off the internet whatever its ports: a datastore (pooler too) or an admin tool. */
export interface Internal {
  datastore?: DatastoreIntent;
  adminTool?: string;
}

/** Services that publish ports and could be entries (before "called by another entry"). */
export function entryCandidates(
  services: readonly NormalizedService[],
  internal: ReadonlyMap<string, Internal & { placement: CloudPlacement }>,
): Set<string> {
  return new Set(
    services
      .filter((s) => {
        const i = internal.get(s.name);
        return i?.placement !== 'local-only' && s.x.public !== false && !i?.datastore && !i?.adminTool;
      })
      .filter((s) => s.x.public === true || s.ports.some((p) => !notAnEntry(s, p)))
      .map((s) => s.name),
  );
}

/** How entry-like a service looks, for two entry candidates that call each other: lower wins. */
function entryRank(s: Pick<NormalizedService, 'name' | 'ports'>): number {
  if (s.ports.some((p) => p.published === 80 || p.published === 443)) return 0;
  return ENTRY_NAMES.test(s.name) ? 1 : 2;
}

/**
 * The candidates `s` sits behind: those that call it, unless `s` calls them back and looks more
 * like the entry (host port 80/443, then a front-end name, then file order). An API that other
 * services call is behind them even when it also calls them back (a webhook, a callback).
 */
export function entriesInFront(
  s: NormalizedService,
  order: ReadonlyMap<string, NormalizedService & { position: number }>,
  candidates: ReadonlySet<string>,
  callsTo: readonly TrafficEdge[],
  callsFrom: readonly TrafficEdge[],
): string[] {
  const position = (n: string) => order.get(n)!.position;
  const rank = (n: string) => entryRank(order.get(n)!);
  return callsTo
    .filter((e) => e.to === s.name && e.from !== s.name && candidates.has(e.from))
    .filter((e) => {
      const back = callsFrom.some((b) => b.from === s.name && b.to === e.from);
      if (!back) return true;
      const [mine, theirs] = [rank(s.name), rank(e.from)];
      return theirs < mine || (theirs === mine && position(e.from) < position(s.name));
    })
    .map((e) => e.from);
}

export function decideExposure(
  s: NormalizedService,
  internal: Internal & { placement: CloudPlacement; placementReason: string },
  inFront: readonly string[],
  listenPorts: readonly number[],
): Exposure {
  const allDebug = (reason: string): Exposure => ({
    exposure: 'private',
    reason,
    entryPorts: [],
    debugPorts: [...s.ports],
  });
  const debugTargets = [...new Set(s.ports.map((p) => p.target))];
  const debugNote =
    debugTargets.length === 0
      ? ''
      : `; ${debugTargets.join(', ')} ${debugTargets.length === 1 ? 'stays a local debug port' : 'stay local debug ports'}`;
  const { datastore, adminTool } = internal;
  if (internal.placement === 'local-only') return allDebug(`local only: ${internal.placementReason}`);
  if (s.x.public === false) return allDebug(`private (x-shipshape.public: false)${debugNote}`);
  const why = (p: PortMapping) =>
    notAnEntry(s, p) ??
    (tlsTwin(s, p, s.ports) ? 'its TLS port: the load balancer terminates TLS' : undefined);
  const described = (ports: readonly PortMapping[]) =>
    [...new Set(ports.map((p) => `${p.target} (${why(p) ?? 'behind the entry'})`))].join(', ');
  // Raw UDP ports cannot be reached through an HTTP entry in front: they stay entries of their own.
  let onlyUdp = false;
  if (s.x.public !== true) {
    if (datastore) return allDebug(`private in the cloud (${datastore.kind} image)${debugNote}`);
    if (adminTool) return allDebug(`private (${adminTool}, an admin tool)${debugNote}`);
    if (s.ports.length === 0) return allDebug('private (publishes no port)');
    if (s.ports.every((p) => notAnEntry(s, p)))
      return allDebug(`private (it publishes only ${described(s.ports)})${debugNote}`);
    if (inFront.length > 0) {
      const udp = s.ports.filter((p) => p.protocol === 'udp' && !notAnEntry(s, p));
      if (udp.length === 0)
        return allDebug(
          `private (called by ${[...new Set(inFront)].join(', ')}, the entry in front of it)${debugNote}`,
        );
      onlyUdp = true;
    }
  }
  const candidates = s.ports.filter((p) => !notAnEntry(s, p) && (!onlyUdp || p.protocol === 'udp'));
  const published = candidates.filter((p) => !tlsTwin(s, p, candidates));
  const debugPorts = s.ports.filter((p) => !published.includes(p));
  const entryPorts = entryPortsOf(s, published, listenPorts);
  const because = onlyUdp
    ? `its UDP ports cannot be reached through ${[...new Set(inFront)].join(', ')}, the entry in front of it`
    : s.x.public === true
      ? 'x-shipshape.public: true'
      : 'publishes ports and no other entry calls it';
  const debug =
    debugPorts.length > 0
      ? `; ${described(debugPorts)} ${debugPorts.length === 1 ? 'stays a local debug port' : 'stay local debug ports'}`
      : '';
  return { exposure: 'public', reason: `public (${because})${debug}`, entryPorts, debugPorts };
}

/**
 * The entry ports of a public service: one per published (container port, protocol) — `53:53/udp`
 * and `53:53/tcp` are two — else its listening ports. The first HTTP(S) entry goes through the
 * load balancer's main listener; every other entry has a listener of its own.
 */
function entryPortsOf(
  s: NormalizedService,
  published: readonly PortMapping[],
  listenPorts: readonly number[],
): EntryPort[] {
  const mappings: (PortMapping | undefined)[] =
    published.length > 0
      ? published.filter(
          (p, i) => published.findIndex((q) => q.target === p.target && q.protocol === p.protocol) === i,
        )
      : listenPorts.filter((p) => !notAnEntry(s, { target: p })).map(() => undefined);
  const unpublished = listenPorts.filter((p) => !notAnEntry(s, { target: p }));
  let mainRoute = false;
  return mappings.map((mapping, i): EntryPort => {
    const port = mapping?.target ?? unpublished[i]!;
    const { protocol, reason } = entryProtocol(s, port, mapping);
    const balancer = balancerFor(protocol);
    const main = balancer === 'application' && !mainRoute;
    if (main) mainRoute = true;
    return {
      port,
      protocol,
      balancer,
      ...(mapping?.published !== undefined ? { published: mapping.published } : {}),
      ...(main ? {} : { listener: mapping?.published ?? port }),
      reason,
    };
  });
}

const ENTRY_NAMES =
  /^(web|www|frontend|front|proxy|nginx|gateway|ui|app|site|caddy|traefik|haproxy|envoy|ingress)([-_]|$)/i;

/**
 * The service the load balancer's catch-all route (`/*`) goes to: the one HTTP entry; with
 * several, `x-shipshape.catch-all`, else the first by this printed rule: publishes host port
 * 80/443, then a front-end name (web, frontend, proxy, ...), then file order. A tie is a warning.
 */
export function decideCatchAll(
  entries: { name: string; entryPorts: readonly EntryPort[] }[],
  explicit: string | undefined,
): { service: string; reason: string; ambiguous?: string[] } | undefined {
  const http = entries.filter((e) => e.entryPorts.some((p) => p.balancer === 'application'));
  if (explicit !== undefined) return { service: explicit, reason: 'x-shipshape.catch-all' };
  if (http.length === 0) return undefined;
  if (http.length === 1) return { service: http[0]!.name, reason: 'the only HTTP entry' };
  const rank = (e: (typeof http)[number]) =>
    e.entryPorts.some((p) => p.published === 80 || p.published === 443)
      ? 0
      : ENTRY_NAMES.test(e.name)
        ? 1
        : 2;
  const best = Math.min(...http.map(rank));
  const tied = http.filter((e) => rank(e) === best);
  const why = ['publishes host port 80/443', 'its name marks a front end', 'first HTTP entry in the file'][
    best
  ]!;
  return {
    service: tied[0]!.name,
    reason: why,
    ...(tied.length > 1 ? { ambiguous: tied.map((e) => e.name) } : {}),
  };
}

/** Listeners a load balancer may have (the AWS quota for both kinds). */
export const MAX_LISTENERS = 50;

/**
 * Every entry's listener, across the app: unique per load balancer and protocol, not the main
 * listener's 80/443, and within the quota. A clash or an excess is a located refusal (an ALB or
 * NLB with two listeners on one port does not deploy; a port range must not become a thousand
 * listeners).
 */
export function entryRefusals(
  services: readonly { name: string; intent: { entryPorts: readonly EntryPort[] } }[],
  locate: (path: readonly (string | number)[]) => SourceLocation,
): Map<string, Refusal[]> {
  const out = new Map<string, Refusal[]>();
  const refuse = (service: string, message: string, fix: string) => {
    const path = ['services', service, 'ports'];
    out.set(service, [
      ...(out.get(service) ?? []),
      { rule: 'entry-ports', path: formatPath(path), location: locate(path), message, fix },
    ]);
  };
  const taken = new Map<string, string>();
  const count = { application: 0, network: 0 };
  for (const s of services) {
    for (const p of s.intent.entryPorts) {
      if (p.listener === undefined) continue;
      count[p.balancer]++;
      const key = `${p.balancer}/${p.balancer === 'network' ? p.protocol : 'http'}/${p.listener}`;
      const owner = taken.get(key);
      if (p.balancer === 'application' && (p.listener === 80 || p.listener === 443))
        refuse(
          s.name,
          `${s.name}'s HTTP port ${p.port} would need a listener on ${p.listener}, which the main listener of the load balancer serves`,
          `publish it on another host port (\`"8080:${p.port}"\`), or make it the service's first HTTP port`,
        );
      else if (owner !== undefined && owner !== s.name)
        refuse(
          s.name,
          `${s.name} and ${owner} both need a ${p.protocol.toUpperCase()} listener on port ${p.listener}`,
          'publish one of them on another host port',
        );
      else taken.set(key, s.name);
    }
  }
  for (const [balancer, n] of Object.entries(count)) {
    if (n + (balancer === 'application' ? 1 : 0) <= MAX_LISTENERS) continue;
    const last = services
      .filter((s) => s.intent.entryPorts.some((p) => p.balancer === balancer && p.listener !== undefined))
      .at(-1)!;
    refuse(
      last.name,
      `the app's entries need ${n + (balancer === 'application' ? 1 : 0)} listeners on the ${balancer} load balancer; it can have at most ${MAX_LISTENERS} (a published port range is a listener per port)`,
      'publish fewer ports (a range meant for local tools can be bound to 127.0.0.1 and made private with `x-shipshape.public: false`)',
    );
  }
  return out;
}

/** Ports one service may listen on in the cloud: each is a task port mapping and a Service Connect port. */
export const MAX_LISTEN_PORTS = 100;

/** A service listening on more ports than a task definition should carry (an exposed range of thousands). */
export function listenPortRefusal(
  s: { name: string; ports: readonly unknown[] },
  listenPorts: readonly number[],
  locate: (path: readonly (string | number)[]) => SourceLocation,
): Refusal | undefined {
  if (listenPorts.length <= MAX_LISTEN_PORTS) return undefined;
  const path = ['services', s.name, s.ports.length > 0 ? 'ports' : 'expose'];
  return {
    rule: 'entry-ports',
    path: formatPath(path),
    location: locate(path),
    message: `${s.name} listens on ${listenPorts.length} ports (${listenPorts[0]}-${listenPorts.at(-1)}); a cloud task maps at most ${MAX_LISTEN_PORTS}, each a port mapping and a Service Connect port`,
    fix: `expose only the ports the service really serves (at most ${MAX_LISTEN_PORTS})`,
  };
}
