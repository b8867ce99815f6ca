import type { EdgeEvidence, Refusal, SourceLocation, TrafficEdge } from '../types.js';
import { formatPath, type DocPath } from '../yaml-source.js';
import type { NormalizedService } from '../normalize.js';
import { referencesIn, referencesInCommand, referencesInText, type HostReference } from './references.js';

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
  /** Ports the evidence names. */
  ports: number[];
  /** The URL scheme's default port (`http://api` → 80), used when the callee declares none. */
  defaultPort?: number;
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

/** Hostname → service, for every service name and alias. */
export function hostIndex(services: readonly NormalizedService[]): Map<string, string> {
  const index = new Map<string, string>();
  for (const s of services) for (const a of s.aliases) if (!index.has(a)) index.set(a, s.name);
  for (const s of services) index.set(s.name, s.name);
  return index;
}

/** Every hostname reference one service makes to another, with where it was found. */
export function findServiceReferences(
  s: NormalizedService,
  hosts: ReadonlyMap<string, string>,
): HostReference[] {
  const names = new Set([...hosts.keys()].filter((h) => hosts.get(h) !== s.name));
  const base = ['services', s.name];
  const refs: HostReference[] = [];
  for (const [name, value] of Object.entries(s.environment)) {
    refs.push(...referencesIn(value, [...base, 'environment', name], names, name));
  }
  if (s.command) refs.push(...referencesInCommand(s.command, [...base, 'command'], names));
  if (s.entrypoint) refs.push(...referencesInCommand(s.entrypoint, [...base, 'entrypoint'], names));
  return refs;
}

/** Call candidates of one caller, before ports are settled. */
export function callCandidates(
  s: NormalizedService,
  all: readonly NormalizedService[],
  hosts: ReadonlyMap<string, string>,
  ctx: EdgeContext,
  configFiles: readonly ConfigFile[] = [],
): { calls: CallCandidate[]; startOrderOnly: string[]; ignored: CallCandidate[] } {
  const byCallee = new Map<string, CallCandidate>();
  const add = (
    to: string,
    reason: CallCandidate['reason'],
    ports: number[],
    evidence: EdgeEvidence,
    defaultPort?: number,
  ) => {
    const c = byCallee.get(to);
    if (c) {
      c.ports = [...new Set([...c.ports, ...ports])];
      c.defaultPort ??= defaultPort;
      c.evidence.push(evidence);
    } else byCallee.set(to, { from: s.name, to, reason, ports, defaultPort, evidence: [evidence] });
  };
  const startOrderOnly: string[] = [];
  for (const d of s.dependsOn) {
    if (d.condition === 'service_completed_successfully') {
      startOrderOnly.push(d.service);
      continue;
    }
    const path = ['services', s.name, 'depends_on', d.service];
    add(d.service, 'depends_on', [], {
      path: formatPath(path),
      text: `depends_on: ${d.service}`,
      location: ctx.locate(path),
    });
  }
  for (const callee of all) {
    const i = callee.x.allowFrom.indexOf(s.name);
    if (i < 0) continue;
    const path = ['services', callee.name, 'x-shipshape', 'allow-from', i];
    add(callee.name, 'allow-from', [], {
      path: formatPath(path),
      text: `allow-from: ${s.name}`,
      location: ctx.locate(path),
    });
  }
  for (const r of findServiceReferences(s, hosts)) {
    const to = hosts.get(r.host)!;
    const evidence = { path: formatPath(r.path), text: r.text, location: ctx.locate(r.path) };
    if (r.explicitPort && r.port !== undefined) add(to, 'reference', [r.port], evidence);
    else add(to, 'reference', [], evidence, r.port);
  }
  const names = new Set([...hosts.keys()].filter((h) => hosts.get(h) !== s.name));
  for (const f of configFiles) {
    for (const r of referencesInText(f.text, names)) {
      const evidence = {
        path: f.path,
        text: r.text,
        location: { file: f.file, line: r.line, column: r.column },
      };
      const to = hosts.get(r.host)!;
      if (r.explicitPort && r.port !== undefined) add(to, 'reference', [r.port], evidence);
      else add(to, 'reference', [], evidence, r.port);
    }
  }
  const calls: CallCandidate[] = [];
  const ignored: CallCandidate[] = [];
  for (const c of byCallee.values()) (s.x.ignoreEdges.includes(c.to) ? ignored : calls).push(c);
  return { calls, startOrderOnly, ignored };
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
): { edges: TrafficEdge[]; unknownPorts: { caller: string; refusal: Refusal }[] } {
  const unknownPorts: { caller: string; refusal: Refusal }[] = [];
  const edges = calls.map((c): TrafficEdge => {
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
    return {
      from: c.from,
      to: c.to,
      ports: [...new Set(ports)].sort((a, b) => a - b),
      protocol: 'tcp',
      reason: c.reason,
      ...(portsReason ? { portsReason } : {}),
      evidence: c.evidence,
    };
  });
  return { edges, unknownPorts };
}
