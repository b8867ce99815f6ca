import {
  INTERNET,
  type Diagnostic,
  type ServiceModel,
  type TrafficEdge,
  type TrafficGraph,
} from './types.js';

/**
 * The "who may talk to whom" graph. A service is public when it publishes a port (or says
 * `x-shipshape.public: true`); the internet may reach it on those ports. Every other service is
 * private: only services that list it in `depends_on`, or that it names in `x-shipshape.allow-from`,
 * may open connections to it, and only on its service ports.
 *
 * Sets `service.public` on each service and returns the graph plus warnings.
 */
export function buildTrafficGraph(services: ServiceModel[]): { graph: TrafficGraph; warnings: Diagnostic[] } {
  const byName = new Map(services.map((s) => [s.name, s]));
  const edges = new Map<string, TrafficEdge>();
  const warnings: Diagnostic[] = [];
  const add = (from: string, to: ServiceModel, ports: number[], reason: TrafficEdge['reason']) => {
    const key = `${from}->${to.name}`;
    const existing = edges.get(key);
    if (existing) {
      existing.ports = [...new Set([...existing.ports, ...ports])].sort((a, b) => a - b);
      return;
    }
    edges.set(key, { from, to: to.name, ports: [...ports].sort((a, b) => a - b), protocol: 'tcp', reason });
  };

  for (const s of services) {
    s.public = s.x.public ?? s.ports.length > 0;
    if (s.public) {
      const published = s.ports.map((p) => p.target);
      const ports = published.length > 0 ? published : s.servicePorts;
      if (ports.length === 0) {
        warnings.push({
          severity: 'warning',
          message: `public service "${s.name}" declares no port`,
          path: `services.${s.name}`,
          location: s.location,
          hint: 'add `ports:` (or `expose:`) so the load balancer knows where to send traffic',
        });
      }
      add(INTERNET, s, [...new Set(ports)], published.length > 0 ? 'published' : 'public');
    }
  }
  for (const caller of services) {
    for (const dep of caller.dependsOn) {
      const callee = byName.get(dep.service);
      if (callee) add(caller.name, callee, callee.servicePorts, 'depends_on');
    }
  }
  for (const callee of services) {
    for (const from of callee.x.allowFrom)
      if (byName.has(from)) add(from, callee, callee.servicePorts, 'allow-from');
  }
  for (const e of edges.values()) {
    if (e.from !== INTERNET && e.ports.length === 0) {
      const callee = byName.get(e.to)!;
      warnings.push({
        severity: 'warning',
        message: `"${e.from}" may call "${e.to}", but "${e.to}" declares no port, so no traffic can be allowed`,
        path: `services.${e.to}`,
        location: callee.location,
        hint: `add \`expose: ["PORT"]\` to "${e.to}"`,
      });
    }
  }
  return { graph: { edges: [...edges.values()] }, warnings };
}

/** Services `name` may call, and services that may call `name`. */
export function callersOf(graph: TrafficGraph, name: string): TrafficEdge[] {
  return graph.edges.filter((e) => e.to === name);
}
export function calleesOf(graph: TrafficGraph, name: string): TrafficEdge[] {
  return graph.edges.filter((e) => e.from === name);
}
