import type Docker from 'dockerode';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel, DependencyCondition } from '../model/types.js';
import { LABELS, isStatus } from '../engine/client.js';
import type { RunScope } from '../engine/run-scope.js';
import { NotReadyError, Wait, notReadyError, waitUntilReady, type WaitStrategy } from '../engine/wait.js';
import { gatewayBalancing } from './gateway.js';
import { NGINX_READY_LOG } from './nginx.js';
import { inDependencyOrder } from '../model/graph.js';
import type { AppPlan, PlannedContainer, PlannedHelper, PlannedNetwork } from './plan.js';
import { listLocalContainers } from './ps.js';

/**
 * Converge the engine to a plan: remove what changed, create what is missing, start every
 * service as soon as what it depends on is ready (services that do not depend on each other
 * start side by side), and wait until every selected service is ready.
 */

export interface ConvergeResult {
  /** Containers created by this run. */
  created: string[];
  /** Containers left as they were (same config hash). */
  unchanged: string[];
  /** Containers removed because their service changed or was scaled down. */
  removed: string[];
}

export interface ConvergeOptions {
  progress: (message: string) => void;
  /** How long each wait for readiness may take. */
  timeoutMs: number;
}

interface ExistingContainer {
  id: string;
  name: string;
  hash?: string;
  service?: string;
  state: string;
}

/** One convergence in progress: what exists, what was made, and who is ready. */
interface Run extends ConvergeOptions {
  docker: Docker;
  app: AppModel;
  plan: AppPlan;
  scope: RunScope;
  /** Aborted when a service fails: the others stop starting and waiting. */
  failure: AbortController;
  keep: Map<string, ExistingContainer>;
  networkIds: Map<string, string>;
  /** Container name → id, for every container of the plan once created or kept. */
  ids: Map<string, string>;
  created: string[];
  unchanged: string[];
}

export async function converge(
  docker: Docker,
  app: AppModel,
  plan: AppPlan,
  scope: RunScope,
  options: ConvergeOptions,
): Promise<ConvergeResult> {
  const existing = await existingContainers(docker, app.name);
  const { keep, removed } = await removeOutdated(docker, plan, existing);
  if (removed.length > 0)
    options.progress(`removed ${removed.length} changed container(s): ${removed.join(', ')}`);
  const [networkIds] = await Promise.all([
    ensureNetworks(docker, plan, scope),
    ensureVolumes(docker, plan, scope),
  ]);
  const run: Run = {
    ...options,
    docker,
    app,
    plan,
    scope,
    failure: new AbortController(),
    keep,
    networkIds,
    ids: new Map(),
    created: [],
    unchanged: [],
  };
  await createContainers(run);
  // A job is ready once it completed; every other service once it is healthy.
  const own = (service: string): DependencyCondition =>
    isOneShot(app, service) ? 'service_completed_successfully' : 'service_healthy';
  await inDependencyOrder(app.services, plan.order, own, {
    start: (service) => startService(run, service),
    ready: (service, condition) => awaitCondition(run, service, condition),
    waiting: (service, dep, condition) => run.progress(`${service}: waiting for ${dep} (${condition})`),
    done: (service, condition) =>
      run.progress(`${service}: ${condition === 'service_healthy' ? 'ready' : 'completed'}`),
    failed: (e) => run.failure.abort(e),
  });
  const inPlanOrder = (names: string[]) =>
    plan.containers.map((c) => c.name).filter((n) => names.includes(n));
  return { created: inPlanOrder(run.created), unchanged: inPlanOrder(run.unchanged), removed };
}

/**
 * Wait for every task; when one fails, stop the others (they must not go on creating containers
 * after `up` has returned) and throw the first failure.
 */
async function settleAll(run: Run, tasks: Promise<void>[]): Promise<void> {
  let first: unknown;
  await Promise.all(
    tasks.map((t) =>
      t.catch((e: unknown) => {
        first ??= e;
        run.failure.abort(e);
      }),
    ),
  );
  if (first !== undefined) throw first;
}

async function existingContainers(docker: Docker, app: string): Promise<ExistingContainer[]> {
  return (await listLocalContainers(app, docker)).map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    hash: c.Labels[LABELS.configHash],
    service: c.Labels[LABELS.service],
    state: c.State,
  }));
}

/** Remove containers of selected services that are no longer wanted or whose config changed. */
async function removeOutdated(
  docker: Docker,
  plan: AppPlan,
  existing: ExistingContainer[],
): Promise<{ keep: Map<string, ExistingContainer>; removed: string[] }> {
  const wanted = new Map(plan.containers.map((c) => [c.name, c]));
  const selected = new Set(plan.order);
  const keep = new Map<string, ExistingContainer>();
  const outdated: ExistingContainer[] = [];
  for (const c of existing) {
    const want = wanted.get(c.name);
    if (want && want.hash === c.hash) keep.set(c.name, c);
    else if (want || (c.service && selected.has(c.service))) outdated.push(c);
  }
  await Promise.all(outdated.map((c) => docker.getContainer(c.id).remove({ force: true, v: true })));
  return { keep, removed: outdated.map((c) => c.name) };
}

async function ensureVolumes(docker: Docker, plan: AppPlan, scope: RunScope): Promise<void> {
  await Promise.all(
    plan.volumes.map(async (v) => {
      try {
        await docker.getVolume(v.name).inspect();
      } catch (e) {
        if (!isStatus(e, 404)) throw e;
        await scope.create(() =>
          docker.createVolume({ Name: v.name, Labels: { ...v.labels, ...scope.labels } }),
        );
        // A task volume starts as Fargate's does: the engine creates it empty, root-owned, 0755;
        // its mounts say `NoCopy`, so the image's content at the path is not copied in.
      }
    }),
  );
}

/** The plan's networks, reusing those that exist as planned; name → id. */
async function ensureNetworks(docker: Docker, plan: AppPlan, scope: RunScope): Promise<Map<string, string>> {
  const names = plan.networks.map((n) => n.name);
  const found =
    names.length > 0 ? await docker.listNetworks({ filters: JSON.stringify({ name: names }) }) : [];
  const ids = await Promise.all(
    plan.networks.map(async (n) => {
      const exact = found.find((x) => x.Name === n.name);
      if (exact && exact.Internal === n.internal) return [n.name, exact.Id] as const;
      if (exact) await docker.getNetwork(exact.Id).remove();
      return [n.name, await createNetwork(docker, n, scope)] as const;
    }),
  );
  return new Map(ids);
}

async function createNetwork(docker: Docker, n: PlannedNetwork, scope: RunScope): Promise<string> {
  const net = await scope
    .create(() =>
      docker.createNetwork({
        Name: n.name,
        Internal: n.internal,
        Options: n.options,
        CheckDuplicate: true,
        Labels: { ...n.labels, ...scope.labels, 'io.shipshape.purpose': n.purpose },
      }),
    )
    .catch((e: Error) => {
      if (e.name === 'InterruptedError') throw e;
      throw new ShipshapeError(`creating network ${n.name} failed: ${e.message}`, {
        exitCode: ExitCode.environment,
        cause: e,
        hint: /address pool/i.test(e.message)
          ? 'the engine ran out of subnets: remove unused networks (`docker network prune`) or widen `default-address-pools` in daemon.json'
          : 'check the Docker engine (`shipshape doctor up`)',
      });
    });
  return net.id;
}

/** A job (the model's placement): it runs to completion, and is ready once it has. */
function isOneShot(app: AppModel, service: string): boolean {
  return app.services.find((s) => s.name === service)?.intent.placement === 'job';
}

/** The moment every container of `service` meets `condition`. */
async function awaitCondition(run: Run, service: string, condition: DependencyCondition): Promise<void> {
  // Replicas first: a gateway balances once it has seen them ready.
  const containers = run.plan.containers.filter((c) => c.service === service);
  for (const role of ['service', 'gateway'] as const) {
    await Promise.all(
      containers
        .filter((c) => c.role === role)
        .map((c) => {
          const strategy = strategyFor(c, condition);
          return strategy ? awaitContainer(run, c, strategy) : undefined;
        }),
    );
  }
}

/**
 * Replicas: the compose condition. Gateways (callers reach the service through them): the Node
 * gateway once it listens and its health probes see every replica up — as a cloud load balancer
 * would, so a health path that fails while the healthcheck passes stops `up` with the gateway's
 * log saying so — nginx once it listens (it has no probes); none for jobs, whose callers wait
 * for them to finish.
 */
function strategyFor(c: PlannedContainer, condition: DependencyCondition): WaitStrategy | undefined {
  if (c.role === 'service') return Wait.forCondition(condition);
  if (condition === 'service_completed_successfully') return undefined;
  if (c.gateway === 'nginx') return Wait.forLogMessage(NGINX_READY_LOG);
  const config = c.gatewayConfig!;
  return Wait.forLog((log) => gatewayBalancing(log, config), 'balancing over its replicas');
}

async function awaitContainer(run: Run, c: PlannedContainer, strategy: WaitStrategy): Promise<void> {
  const id = run.ids.get(c.name);
  if (!id) return;
  try {
    await waitUntilReady(run.docker, id, strategy, { timeoutMs: run.timeoutMs, signal: run.failure.signal });
  } catch (e) {
    if (!(e instanceof NotReadyError)) throw e;
    throw await notReadyError(run.docker, id, e.reason, {
      subject: `service "${c.service}" ${c.replica === 0 ? '(gateway)' : `(replica ${c.replica})`}`,
      container: c.name,
      location: run.app.services.find((s) => s.name === c.service)?.location,
      hint: `\`shipshape logs ${c.service}\` shows more; \`shipshape down\` removes the app`,
    });
  }
}

/**
 * Replicas side by side; the Node gateway with them (it resolves the replicas' names as it
 * probes them), the nginx gateway after them (it resolves the names once, when it starts).
 */
async function startService(run: Run, service: string): Promise<void> {
  const containers = run.plan.containers.filter((c) => c.service === service);
  const replicas = containers.filter((c) => c.role === 'service');
  const gateways = containers.filter((c) => c.role === 'gateway');
  const nginx = gateways.filter((g) => g.gateway === 'nginx');
  await Promise.all(
    [...replicas, ...gateways.filter((g) => g.gateway === 'node')].map((c) => startContainer(run, c)),
  );
  const recreated = replicas.some((r) => run.created.includes(r.name));
  await Promise.all(nginx.map((g) => startNginxGateway(run, g, recreated)));
  run.progress(`${service}: started ${containers.length} container(s)`);
}

async function startNginxGateway(run: Run, g: PlannedContainer, replicasRecreated: boolean): Promise<void> {
  const kept = run.keep.get(g.name);
  if (kept?.state === 'running' && replicasRecreated) {
    // nginx resolved the replica names when it started; recreated replicas may have new
    // addresses. SIGHUP reloads the config, resolving them again, without dropping requests.
    await run.docker.getContainer(kept.id).kill({ signal: 'SIGHUP' });
    run.progress(`${g.service}: reloaded the nginx gateway for the new replicas`);
  }
  await startContainer(run, g);
}

/** Start a kept container when it is stopped, or start the one `createContainers` made. */
async function startContainer(run: Run, c: PlannedContainer): Promise<void> {
  run.failure.signal.throwIfAborted();
  const kept = run.keep.get(c.name);
  if (kept) {
    if (kept.state !== 'running' && !isOneShot(run.app, c.service))
      await run.docker.getContainer(kept.id).start();
    return;
  }
  for (const helper of c.before ?? []) await runHelper(run, c, helper);
  await run.docker
    .getContainer(run.ids.get(c.name)!)
    .start()
    .catch((e: Error) => {
      throw startFailed(run, c, e);
    });
}

/**
 * A container of the task that must complete before `c` starts (ECS `dependsOn` SUCCESS or
 * COMPLETE): run it to its end; a failure stops the start with its exit code and log lines.
 */
async function runHelper(run: Run, c: PlannedContainer, helper: PlannedHelper): Promise<void> {
  await run.docker
    .getContainer(helper.name)
    .remove({ force: true })
    .catch((e: unknown) => {
      if (!isStatus(e, 404)) throw e;
    });
  const container = await run.scope.create(() =>
    run.docker.createContainer({ ...helper.spec, Labels: { ...helper.spec.Labels, ...run.scope.labels } }),
  );
  await container.start();
  const strategy = helper.condition === 'SUCCESS' ? Wait.forSuccessfulExit() : Wait.forExit();
  try {
    await waitUntilReady(run.docker, container.id, strategy, {
      timeoutMs: run.timeoutMs,
      signal: run.failure.signal,
    });
  } catch (e) {
    if (!(e instanceof NotReadyError)) throw e;
    throw await notReadyError(run.docker, container.id, e.reason, {
      subject: `service "${c.service}" (replica ${c.replica}): its task's ${helper.name.slice(c.name.length + 1)} container`,
      container: helper.name,
      location: run.app.services.find((s) => s.name === c.service)?.location,
      hint: `the app container starts only after it ${helper.condition === 'SUCCESS' ? 'succeeds' : 'completes'} (the task definition's dependsOn)`,
    });
  }
}

/**
 * Create every missing container of the plan at once, before any waiting: only starting has to
 * wait for dependencies. Kept containers are recorded as they are.
 */
async function createContainers(run: Run): Promise<void> {
  await settleAll(
    run,
    run.plan.containers.map(async (c) => {
      const kept = run.keep.get(c.name);
      if (kept) {
        run.ids.set(c.name, kept.id);
        run.unchanged.push(c.name);
        return;
      }
      run.ids.set(c.name, (await createContainer(run, c)).id);
      run.created.push(c.name);
    }),
  );
}

/** Create the container on its first network and connect it to the others (API 1.41 takes one at create). */
async function createContainer(run: Run, c: PlannedContainer): Promise<Docker.Container> {
  const [first, ...rest] = c.networks;
  const container = await run.scope.create(() =>
    run.docker.createContainer({
      ...c.spec,
      Labels: { ...c.spec.Labels, [LABELS.configHash]: c.hash, ...run.scope.labels },
      HostConfig: { ...c.spec.HostConfig, NetworkMode: first!.network },
      NetworkingConfig: { EndpointsConfig: { [first!.network]: { Aliases: first!.aliases } } },
    }),
  );
  await Promise.all(
    rest.map((n) =>
      run.docker
        .getNetwork(run.networkIds.get(n.network)!)
        .connect({ Container: container.id, EndpointConfig: { Aliases: n.aliases } }),
    ),
  );
  return container;
}

function startFailed(run: Run, c: PlannedContainer, e: Error): ShipshapeError {
  const port = /(?:Bind for |listen tcp4? )[\d.:]*:(\d+)/.exec(e.message)?.[1];
  return new ShipshapeError(`starting ${c.name} failed: ${e.message}`, {
    exitCode: ExitCode.failure,
    location: run.app.services.find((s) => s.name === c.service)?.location,
    cause: e,
    hint: port
      ? `host port ${port} is taken by another process or app: stop it, or change \`ports:\` (e.g. "${port}" alone picks a free port)`
      : `\`shipshape logs ${c.service}\` shows more; \`shipshape down\` removes the app`,
  });
}
