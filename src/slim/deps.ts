import type Docker from 'dockerode';
import { ShipshapeError } from '../model/errors.js';
import type { AppModel, DependencyCondition, ServiceModel } from '../model/types.js';
import { buildServiceImage } from '../engine/build.js';
import { serviceContainerSpec } from '../engine/container-spec.js';
import { ensureImage } from '../engine/images.js';
import type { RunScope } from '../engine/run-scope.js';
import { NotReadyError, Wait, notReadyError, waitUntilReady } from '../engine/wait.js';
import { inDependencyOrder, startOrder } from '../model/graph.js';

/**
 * The compose dependencies of the slimmed service, started beside it on the run's private
 * network under their service names, so the app is exercised with its real database, cache, etc.
 */

/** Every service `service` depends on (transitively), dependencies first. */
export function dependencyOrder(app: AppModel, service: ServiceModel): ServiceModel[] {
  return startOrder(app.services, [service.name])
    .filter((name) => name !== service.name)
    .map((name) => app.services.find((s) => s.name === name)!);
}

/** The image of a service: built from `build:` (src/engine/build.ts), else its `image:`, pulled when missing. */
export async function serviceImage(
  docker: Docker,
  app: AppModel,
  service: ServiceModel,
  onProgress: (line: string) => void,
): Promise<string> {
  if (service.build) {
    onProgress(`building ${service.name}`);
    const built = await buildServiceImage(app, service, {
      docker,
      // Step headers only: the full build log is noise here, and a failing step is in the error.
      onProgress: (l) => {
        if (/^Step \d+\/\d+ :/.test(l)) onProgress(`  ${l}`);
      },
    });
    return built.imageId;
  }
  if (!service.image) {
    throw new ShipshapeError(`service "${service.name}" has neither \`image:\` nor \`build:\``, {
      location: service.location,
      path: `services.${service.name}`,
      hint: 'add one of them',
    });
  }
  return ensureImage(docker, service.image, onProgress);
}

/**
 * Start `target`'s dependencies on `network` with `up`'s walker (src/model/graph.ts): each starts
 * once its own dependencies meet the conditions it names, side by side otherwise, and the run goes
 * on once each of the target's direct dependencies meets the condition the target names.
 */
export async function startDependencies(
  docker: Docker,
  app: AppModel,
  target: ServiceModel,
  run: DependencyRun,
): Promise<void> {
  const deps = dependencyOrder(app, target);
  const ids = new Map<string, string>();
  const byName = new Map(deps.map((d) => [d.name, d]));
  const targetWants = new Map(target.dependsOn.map((d) => [d.service, d.condition]));
  await inDependencyOrder<DependencyCondition>(
    app.services,
    deps.map((d) => d.name),
    (name) => targetWants.get(name) ?? 'service_started',
    {
      start: async (name) => {
        const dep = byName.get(name)!;
        const image = await serviceImage(docker, app, dep, run.onProgress);
        run.onProgress(`starting dependency ${dep.name}`);
        ids.set(name, await startDependency(docker, app, dep, image, run));
      },
      ready: (name, condition) => waitForDependency(docker, byName.get(name)!, ids.get(name)!, condition),
    },
  );
}

export interface DependencyRun {
  /** Where the run's objects are created (and undone on Ctrl-C). */
  scope: RunScope;
  /** The run's private network; dependencies join it under their service names. */
  network: string;
  labels: Record<string, string>;
  /** Container names start with this. */
  namePrefix: string;
  onProgress: (line: string) => void;
}

/**
 * One dependency, created exactly as `up` runs it (src/engine/container-spec.ts) except for its
 * storage: named volumes become anonymous ones, removed with the container, so a slim run never
 * touches the app's real data.
 */
async function startDependency(
  docker: Docker,
  app: AppModel,
  dep: ServiceModel,
  image: string,
  run: DependencyRun,
): Promise<string> {
  const spec = serviceContainerSpec({
    app,
    service: dep,
    name: `${run.namePrefix}-${dep.name}`,
    image,
    labels: run.labels,
    volumeName: () => undefined,
  });
  const container = await run.scope.create(() =>
    docker.createContainer({
      ...spec,
      HostConfig: { ...spec.HostConfig, NetworkMode: run.network },
      NetworkingConfig: { EndpointsConfig: { [run.network]: { Aliases: [dep.name] } } },
    }),
  );
  await container.start();
  return container.id;
}

/** Wait with `up`'s strategies (src/engine/wait.ts), so a condition means the same in both. */
async function waitForDependency(
  docker: Docker,
  dep: ServiceModel,
  id: string,
  condition: DependencyCondition,
): Promise<void> {
  try {
    await waitUntilReady(docker, id, Wait.forCondition(condition), { timeoutMs: DEPENDENCY_TIMEOUT_MS });
  } catch (e) {
    if (!(e instanceof NotReadyError)) throw e;
    throw await notReadyError(docker, id, `${e.reason} (waiting for ${condition})`, {
      subject: `dependency "${dep.name}"`,
      location: dep.location,
      hint: '`shipshape up` runs the app with the same settings, to look at it more closely',
    });
  }
}

const DEPENDENCY_TIMEOUT_MS = 120_000;
