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

/** A service with the condition each of its dependencies must meet before it starts. */
export interface ConditionalNode<C extends string> {
  readonly name: string;
  readonly dependsOn: readonly { readonly service: string; readonly condition: C }[];
}

/** What a dependency walk does with each service (see `inDependencyOrder`). */
export interface DependencyVisitor<C extends string> {
  /** Start the service (once its dependencies allow). */
  start(service: string): Promise<void>;
  /** Resolve once the started service meets `condition` (asked at most once per service and condition). */
  ready(service: string, condition: C): Promise<void>;
  /** Called before waiting for a dependency. */
  waiting?(service: string, dependency: string, condition: C): void;
  /** Called once a service met its own condition. */
  done?(service: string, condition: C): void;
  /** Called at the first failure, at once (to stop what is still starting or waiting). */
  failed?(error: unknown): void;
}

/**
 * The one dependency walker (compose's `InDependencyOrder`, with compose's per-dependant wait):
 * every service starts as soon as each of its dependencies meets the condition *that dependant*
 * names for it, services that do not depend on each other start side by side, and each service
 * is then awaited with `own(service)` (healthy, or completed for a one-off job). `up`,
 * `up --fargate` and `slim`'s dependency runs all walk with it, so a condition means the same in
 * each. The first failure rejects; the caller stops what is still starting (an abort signal).
 */
export async function inDependencyOrder<C extends string>(
  services: readonly ConditionalNode<C>[],
  selected: readonly string[],
  own: (service: string) => C,
  visitor: DependencyVisitor<C>,
): Promise<void> {
  const wanted = new Set(selected);
  const started = new Map<string, Promise<void>>();
  const readiness = new Map<string, Promise<void>>();
  const ready = (service: string, condition: C): Promise<void> => {
    const key = `${service}\n${condition}`;
    let p = readiness.get(key);
    if (!p) {
      // Dependencies are started before their dependants ask: `started` has them.
      p = started.get(service)!.then(() => visitor.ready(service, condition));
      p.catch(() => undefined); // awaited by whoever asked; never an unhandled rejection
      readiness.set(key, p);
    }
    return p;
  };
  const startWhenAllowed = async (name: string): Promise<void> => {
    const node = services.find((s) => s.name === name)!;
    await Promise.all(
      node.dependsOn
        .filter((d) => wanted.has(d.service))
        .map((d) => {
          visitor.waiting?.(name, d.service, d.condition);
          return ready(d.service, d.condition);
        }),
    );
    await visitor.start(name);
  };
  for (const name of selected) {
    const p = startWhenAllowed(name);
    p.catch(() => undefined);
    started.set(name, p);
  }
  const own$ = selected.map((name) => ready(name, own(name)).then(() => visitor.done?.(name, own(name))));
  let first: { error: unknown } | undefined;
  await Promise.all(
    own$.map((t) =>
      t.catch((error: unknown) => {
        if (first) return;
        first = { error };
        visitor.failed?.(error);
      }),
    ),
  );
  if (first) throw first.error;
}
