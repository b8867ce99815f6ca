import type Docker from 'dockerode';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel, ServiceModel } from '../model/types.js';
import { buildServiceImage } from '../engine/build.js';
import { ensureImage } from '../engine/images.js';
import { startOrder } from '../model/graph.js';

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

const NS = 1_000_000;

/** Start `deps` in order on `network`; wait for each one's `depends_on` condition. */
export async function startDependencies(
  docker: Docker,
  app: AppModel,
  target: ServiceModel,
  network: string,
  labels: Record<string, string>,
  namePrefix: string,
  onProgress: (line: string) => void,
): Promise<void> {
  const deps = dependencyOrder(app, target);
  const conditions = new Map<string, string>();
  for (const s of [target, ...deps]) for (const d of s.dependsOn) conditions.set(d.service, d.condition);
  for (const dep of deps) {
    const image = await serviceImage(docker, app, dep, onProgress);
    onProgress(`starting dependency ${dep.name}`);
    const hc = dep.healthcheck;
    const container = await docker.createContainer({
      name: `${namePrefix}-${dep.name}`,
      Image: image,
      Env: Object.entries(dep.environment).map(([k, v]) => `${k}=${v}`),
      Cmd: dep.command,
      Entrypoint: dep.entrypoint,
      User: dep.user,
      WorkingDir: dep.workingDir,
      Labels: labels,
      Healthcheck:
        hc && !hc.disabled
          ? {
              Test: hc.test,
              // Checked every second here (not the app's interval): this throwaway copy only
              // needs to be ready as soon as it is, and the check itself is unchanged.
              Interval: Math.min(hc.intervalMs, 1000) * NS,
              Timeout: hc.timeoutMs * NS,
              Retries: hc.retries,
              StartPeriod: hc.startPeriodMs * NS,
            }
          : undefined,
      HostConfig: {
        NetworkMode: network,
        // Bind mounts (init scripts, config) as declared; named volumes become the container's
        // own storage, removed with it, so a slim run never touches the app's real data.
        Binds: dep.volumes
          .filter((v) => v.type === 'bind' && v.source)
          .map((v) => `${v.source}:${v.target}:${v.readOnly ? 'ro' : 'rw'}`),
        CapAdd: dep.capAdd,
        CapDrop: dep.capDrop,
        SecurityOpt: dep.securityOpt,
      },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [dep.name] } } },
    });
    await container.start();
    const condition = conditions.get(dep.name) ?? 'service_started';
    const deadline = Date.now() + 120_000;
    for (;;) {
      const state = (await container.inspect()).State;
      if (condition === 'service_started' && state.Running) break;
      if (condition === 'service_healthy' && state.Health?.Status === 'healthy') break;
      if (condition === 'service_completed_successfully' && !state.Running && state.ExitCode === 0) break;
      if (!state.Running && condition !== 'service_completed_successfully') {
        throw new ShipshapeError(
          `dependency "${dep.name}" exited with code ${state.ExitCode} before it was ready`,
          {
            exitCode: ExitCode.failure,
            location: dep.location,
          },
        );
      }
      if (Date.now() > deadline) {
        throw new ShipshapeError(`dependency "${dep.name}" did not reach ${condition} within 120 s`, {
          exitCode: ExitCode.failure,
          location: dep.location,
        });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
