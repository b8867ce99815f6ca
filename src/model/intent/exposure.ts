import type { DatastoreIntent, EntryPort, EntryProtocol, PortMapping, TrafficEdge } from '../types.js';
import type { NormalizedService } from '../normalize.js';
import { appProtocolOf, HTTPS_PORTS, nonHttpPort } from './catalog.js';
import { balancerFor } from './placement.js';

/**
 * Who the internet reaches in the cloud. Compose publishes ports for a laptop: the web entry, but
 * also a database or an API for debugging. A service is public when it publishes ports and is
 * none of: marked `x-shipshape.public: false`, a datastore, or a service another would-be entry
 * calls (it sits behind that entry). `x-shipshape.public` always wins. Ports a public service
 * publishes for a debugger, and every published port of a private service, stay local debug ports.
 */
export interface Exposure {
  exposure: 'public' | 'private';
  reason: string;
  entryPorts: EntryPort[];
  debugPorts: PortMapping[];
}

/** Debugger and profiler ports: published for a developer, never an entry. */
const DEBUGGER_PORTS = new Map<number, string>([
  [9229, 'Node.js inspector'],
  [5005, 'Java debugger (JDWP)'],
  [5678, 'Python debugger (debugpy)'],
  [2345, 'Go debugger (Delve)'],
  [9003, 'Xdebug'],
  [4000, 'Elixir debugger'],
]);

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

/** Services that publish ports and could be entries (before "called by another entry"). */
export function entryCandidates(
  services: readonly NormalizedService[],
  datastores: ReadonlyMap<string, DatastoreIntent>,
): Set<string> {
  return new Set(
    services
      .filter((s) => !s.x.localOnly && s.x.public !== false && !datastores.has(s.name))
      .filter((s) => s.x.public === true || s.ports.some((p) => !DEBUGGER_PORTS.has(p.target)))
      .map((s) => s.name),
  );
}

export function decideExposure(
  s: NormalizedService,
  datastore: DatastoreIntent | undefined,
  candidates: ReadonlySet<string>,
  calls: readonly TrafficEdge[],
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
  if (s.x.localOnly) return allDebug('local only (x-shipshape.local-only): not deployed');
  if (s.x.public === false) return allDebug(`private (x-shipshape.public: false)${debugNote}`);
  if (s.x.public !== true) {
    if (datastore) return allDebug(`private in the cloud (${datastore.kind} image)${debugNote}`);
    if (s.ports.length === 0) return allDebug('private (publishes no port)');
    const behind = calls
      .filter((e) => e.to === s.name && candidates.has(e.from))
      .filter((e) => !calls.some((back) => back.from === s.name && back.to === e.from))
      .map((e) => e.from);
    if (behind.length > 0)
      return allDebug(`private (called by ${behind.join(', ')}, the entry in front of it)${debugNote}`);
  }
  const published = s.ports.filter((p) => !DEBUGGER_PORTS.has(p.target));
  const debugPorts = s.ports.filter((p) => DEBUGGER_PORTS.has(p.target));
  // One entry per published (container port, protocol): `53:53/udp` and `53:53/tcp` are two entries.
  const mappings: (PortMapping | undefined)[] =
    published.length > 0
      ? published.filter(
          (p, i) => published.findIndex((q) => q.target === p.target && q.protocol === p.protocol) === i,
        )
      : listenPorts.map(() => undefined);
  const entryPorts = mappings.map((mapping, i): EntryPort => {
    const port = mapping?.target ?? listenPorts[i]!;
    const { protocol, reason } = entryProtocol(s, port, mapping);
    return {
      port,
      protocol,
      balancer: balancerFor(protocol),
      ...(mapping?.published !== undefined ? { published: mapping.published } : {}),
      reason,
    };
  });
  const why =
    s.x.public === true ? 'x-shipshape.public: true' : 'publishes ports and no other entry calls it';
  const debug =
    debugPorts.length > 0
      ? `; ${debugPorts.map((p) => `${p.target} (${DEBUGGER_PORTS.get(p.target)})`).join(', ')} stays a local debug port`
      : '';
  return { exposure: 'public', reason: `public (${why})${debug}`, entryPorts, debugPorts };
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
