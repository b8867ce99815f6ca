/**
 * The one dependency graph of an app: start order and cycles, over `depends_on`. The loader
 * rejects cycles (located); `up` and `slim` start services in this order.
 */
export interface DependencyNode {
  readonly name: string;
  readonly dependsOn: readonly { readonly service: string }[];
}

/** The first `depends_on` cycle, as `[a, b, a]`; undefined when there is none. */
export function findDependencyCycle(services: readonly DependencyNode[]): string[] | undefined {
  const byName = new Map(services.map((s) => [s.name, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  let cycle: string[] | undefined;
  const visit = (name: string, trail: string[]): void => {
    if (cycle || state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      cycle = [...trail.slice(trail.indexOf(name)), name];
      return;
    }
    state.set(name, 'visiting');
    for (const d of byName.get(name)?.dependsOn ?? []) visit(d.service, [...trail, name]);
    state.set(name, 'done');
  };
  for (const s of services) visit(s.name, []);
  return cycle;
}

/**
 * `requested` services (default: all) plus everything they depend on, dependencies first, in file
 * order otherwise. The graph is acyclic (the loader guarantees it).
 */
export function startOrder(services: readonly DependencyNode[], requested?: readonly string[]): string[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const d of byName.get(name)?.dependsOn ?? []) if (byName.has(d.service)) visit(d.service);
    order.push(name);
  };
  for (const s of services)
    if (!requested || requested.length === 0 || requested.includes(s.name)) visit(s.name);
  return order;
}
