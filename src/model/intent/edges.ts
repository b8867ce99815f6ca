import type { EdgeEvidence, Refusal, SourceLocation, TrafficEdge } from '../types.js';
import { formatPath, type DocPath } from '../yaml-source.js';
import type { NormalizedService } from '../normalize.js';
import {
  referencesIn,
  referencesInCommand,
  referencesInText,
  siblingPortName,
  type HostNames,
  type HostReference,
} from './references.js';

/**
 * Calls between services: from `depends_on`, `x-shipshape.allow-from`, and references to other
 * services' hostnames in environment values and commands. The port of a call comes from the
 * reference, else the callee's listening ports; with neither, the call cannot be allowed, which is
 * a located error (an infrastructure in which the caller cannot connect is worse).
 */
export interface CallCandidate {
  from: string;
  to: string;
  reason: TrafficEdge['reason'];
  /** Whether depends_on, links or allow-from declares it (else only a reference names it). */
  declared: boolean;
  /** Ports the evidence names. */
  ports: number[];
  /** The URL scheme's default port (`http://api` → 80), used when the callee declares none. */
  defaultPort?: number;
  /** A reference says the call is UDP (`udp://`, `syslog://`). */
  udp?: boolean;
  /** The names (lowercase) the caller uses for the callee, other than its service name. */
  names: string[];
  evidence: EdgeEvidence[];
}

export interface EdgeContext {
  locate(path: DocPath): SourceLocation;
}

/** A configuration file a service runs with: bind-mounted from the project, or copied into its image. */
export interface ConfigFile {
  file: string;
  text: string;
  /** Compose document path that brings it in (`services.proxy.volumes[0]`, `services.proxy.build`). */
  path: string;
}

/**
 * Hostname (lowercase: DNS names are case-insensitive) → service, for every service name,
 * `container_name`, `hostname` and network alias. A service's own name wins over another's alias.
 */
export function hostIndex(services: readonly NormalizedService[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const s of services)
    for (const a of s.aliases) if (!index.has(a.toLowerCase())) index.set(a.toLowerCase(), s.name);
  for (const s of services) index.set(s.name.toLowerCase(), s.name);
  return index;
}

/** The names one caller can resolve: every other service's names, plus its own `links` aliases. */
export interface CallerHosts {
  has(host: string): boolean;
  get(host: string): string | undefined;
}

/** A view, not a copy: copying every name per caller made loading quadratic in the services. */
export function callerHosts(s: NormalizedService, hosts: ReadonlyMap<string, string>): CallerHosts {
  const links = new Map(
    s.links.filter((l) => l.service !== s.name).map((l) => [l.alias.toLowerCase(), l.service]),
  );
  const get = (host: string) => {
    const to = links.get(host) ?? hosts.get(host);
    return to === s.name ? undefined : to;
  };
  return { get, has: (host) => get(host) !== undefined };
}

/** Every hostname reference one service makes to another, with where it was found. */
export function findServiceReferences(s: NormalizedService, names: HostNames): HostReference[] {
  const base = ['services', s.name];
  const refs: HostReference[] = [];
  const port = (name: string) => {
    const sibling = siblingPortName(name);
    const value = sibling === undefined ? undefined : s.environment[sibling];
    const n = Number(value);
    return value !== undefined && Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
  };
  for (const [name, value] of Object.entries(s.environment)) {
    refs.push(...referencesIn(value, [...base, 'environment', name], names, name, port(name)));
  }
  if (s.command) refs.push(...referencesInCommand(s.command, [...base, 'command'], names));
  if (s.entrypoint) refs.push(...referencesInCommand(s.entrypoint, [...base, 'entrypoint'], names));
  return refs;
}

/** Whether two services share a compose network (or one has no networks: `network_mode`, unknowable). */
function shareNetwork(a: NormalizedService, b: NormalizedService): boolean {
  if (a.networks.length === 0 || b.networks.length === 0) return true;
  return a.networks.some((n) => b.networks.includes(n));
}

/** Call candidates of one caller, before ports are settled. */
/** Services by name, and who allows whom (`x-shipshape.allow-from`), built once per app. */
export interface ServiceIndex {
  byName: ReadonlyMap<string, NormalizedService>;
  /** Caller → the callees whose allow-from names it, with the entry's index. */
  allowedBy: ReadonlyMap<string, { callee: string; index: number }[]>;
}

export function serviceIndex(services: readonly NormalizedService[]): ServiceIndex {
  const allowedBy = new Map<string, { callee: string; index: number }[]>();
  for (const callee of services)
    callee.x.allowFrom.forEach((from, index) =>
      allowedBy.set(from, [...(allowedBy.get(from) ?? []), { callee: callee.name, index }]),
    );
  return { byName: new Map(services.map((s) => [s.name, s])), allowedBy };
}

export function callCandidates(
  s: NormalizedService,
  all: ServiceIndex,
  hosts: ReadonlyMap<string, string>,
  ctx: EdgeContext,
  configFiles: readonly ConfigFile[] = [],
): { calls: CallCandidate[]; startOrderOnly: string[]; ignored: CallCandidate[]; apart: CallCandidate[] } {
  const found = new Candidates(s.name);
  const startOrderOnly = declaredCalls(s, all, ctx, found);
  const mine = callerHosts(s, hosts);
  const reference = (r: HostReference, evidence: EdgeEvidence) => {
    const to = mine.get(r.host)!;
    const more = { udp: r.udp, name: r.host };
    if (r.explicitPort && r.port !== undefined) found.add(to, 'reference', [r.port], evidence, more);
    else found.add(to, 'reference', [], evidence, { ...more, defaultPort: r.port });
  };
  for (const r of findServiceReferences(s, mine))
    reference(r, { path: formatPath(r.path), text: r.text, location: ctx.locate(r.path) });
  for (const f of configFiles)
    for (const r of referencesInText(f.text, mine))
      reference(r, {
        path: f.path,
        text: r.text,
        location: { file: f.file, line: r.line, column: r.column },
      });
  const calls: CallCandidate[] = [];
  const ignored: CallCandidate[] = [];
  const apart: CallCandidate[] = [];
  for (const c of found.byCallee.values()) {
    const callee = all.byName.get(c.to);
    if (s.x.ignoreEdges.includes(c.to)) ignored.push(c);
    // Compose resolves names only within a shared network: a caller elsewhere cannot reach it.
    else if (callee && !shareNetwork(s, callee) && c.reason !== 'allow-from') apart.push(c);
    else calls.push(c);
  }
  return { calls, startOrderOnly, ignored, apart };
}

/** One caller's call candidates, one per callee, merged as evidence arrives. */
class Candidates {
  readonly byCallee = new Map<string, CallCandidate>();

  constructor(private readonly from: string) {}

  add(
    to: string,
    reason: CallCandidate['reason'],
    ports: number[],
    evidence: EdgeEvidence,
    more: { defaultPort?: number; udp?: boolean; name?: string } = {},
  ): void {
    const declared = reason !== 'reference';
    const name = more.name !== undefined && more.name !== to.toLowerCase() ? [more.name] : [];
    const c = this.byCallee.get(to);
    if (!c) {
      this.byCallee.set(to, {
        from: this.from,
        to,
        reason,
        declared,
        ports,
        ...(more.defaultPort !== undefined ? { defaultPort: more.defaultPort } : {}),
        ...(more.udp ? { udp: true } : {}),
        names: name,
        evidence: [evidence],
      });
      return;
    }
    c.ports = [...new Set([...c.ports, ...ports])];
    c.defaultPort ??= more.defaultPort;
    c.udp ||= more.udp;
    c.declared ||= declared;
    c.names = [...new Set([...c.names, ...name])];
    c.evidence.push(evidence);
  }
}

/**
 * The calls the compose file declares: depends_on (except a wait for a job to complete, which is
 * start order only: returned), links and the callees' x-shipshape.allow-from.
 */
function declaredCalls(
  s: NormalizedService,
  all: ServiceIndex,
  ctx: EdgeContext,
  found: Candidates,
): string[] {
  const at = (path: DocPath, text: string): EdgeEvidence => ({
    path: formatPath(path),
    text,
    location: ctx.locate(path),
  });
  const startOrderOnly: string[] = [];
  for (const d of s.dependsOn) {
    if (d.condition === 'service_completed_successfully') startOrderOnly.push(d.service);
    else
      found.add(
        d.service,
        'depends_on',
        [],
        at(['services', s.name, 'depends_on', d.service], `depends_on: ${d.service}`),
      );
  }
  s.links.forEach((l, i) => {
    if (l.service === s.name) return;
    const evidence = at(['services', s.name, 'links', i], `links: ${l.service}:${l.alias}`);
    found.add(l.service, 'links', [], evidence, { name: l.alias.toLowerCase() });
  });
  for (const { callee, index } of all.allowedBy.get(s.name) ?? [])
    found.add(
      callee,
      'allow-from',
      [],
      at(['services', callee, 'x-shipshape', 'allow-from', index], `allow-from: ${s.name}`),
    );
  return startOrderOnly;
}

/**
 * Settle the ports of each call: the ports the evidence names, else every port the callee listens
 * on (`listenSources` says where they come from: compose, its Dockerfile, its image's EXPOSE),
 * else the URL scheme's default port; the edge's `portsReason` says which. A call with no port at all stays in the graph without ports;
 * the caller gets a refusal (the cloud cannot allow it) and `config` a warning, both located.
 */
export function settleCallPorts(
  calls: CallCandidate[],
  listenPorts: ReadonlyMap<string, number[]>,
  listenSources: ReadonlyMap<string, string> = new Map(),
  udpPorts: ReadonlyMap<string, readonly number[]> = new Map(),
): { edges: TrafficEdge[]; unknownPorts: { caller: string; refusal: Refusal }[] } {
  const unknownPorts: { caller: string; refusal: Refusal }[] = [];
  const edges = calls.flatMap((c): TrafficEdge[] => {
    let ports = c.ports;
    let portsReason: string | undefined;
    if (ports.length === 0) {
      ports = listenPorts.get(c.to) ?? [];
      const source = listenSources.get(c.to);
      if (ports.length > 0)
        portsReason = `no port named: the ports ${c.to} listens on${source ? ` (${source})` : ''}`;
    }
    if (ports.length === 0 && c.defaultPort !== undefined) {
      ports = [c.defaultPort];
      portsReason = "no port named: the URL scheme's default port";
    }
    if (ports.length === 0) {
      const ev = c.evidence[0]!;
      unknownPorts.push({
        caller: c.from,
        refusal: {
          rule: 'unknown-call-port',
          path: ev.path,
          location: ev.location,
          message: `"${c.from}" calls "${c.to}" (${ev.text}), but "${c.to}" listens on no known port, so no security group rule can allow it`,
          fix: `add \`expose: ["PORT"]\` to "${c.to}" (or EXPOSE in its Dockerfile); if "${c.from}" does not call it, add \`x-shipshape: { ignore-edges: [${c.to}] }\` to "${c.from}"`,
        },
      });
    }
    const sorted = [...new Set(ports)].sort((a, b) => a - b);
    // A port the callee declares only over UDP (or a udp:// reference) is a UDP call.
    const udpOnly = new Set(udpPorts.get(c.to) ?? []);
    const udp = c.udp ? sorted : sorted.filter((p) => udpOnly.has(p));
    const tcp = sorted.filter((p) => !udp.includes(p));
    const edge = (protocol: TrafficEdge['protocol'], p: number[]): TrafficEdge => ({
      from: c.from,
      to: c.to,
      ports: p,
      protocol,
      reason: c.reason,
      ...(portsReason ? { portsReason } : {}),
      declared: c.declared,
      evidence: c.evidence,
    });
    return [
      ...(tcp.length > 0 || udp.length === 0 ? [edge('tcp', tcp)] : []),
      ...(udp.length > 0 ? [edge('udp', udp)] : []),
    ];
  });
  return { edges, unknownPorts };
}
