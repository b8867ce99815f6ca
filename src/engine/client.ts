import Docker from './dockerode.js';
import { ExitCode, ShipshapeError } from '../model/errors.js';

/**
 * A thin client over the Docker Engine API (dockerode). Everything shipshape creates carries
 * `io.shipshape.*` labels so it can always be found and removed by label.
 */
export const LABELS = {
  /** Present on everything shipshape creates. */
  managed: 'io.shipshape.managed',
  /** The app (project) name. */
  app: 'io.shipshape.app',
  service: 'io.shipshape.service',
  replica: 'io.shipshape.replica',
  /** What the object is for: `service`, `lb`, `slim`, `test`, ... */
  role: 'io.shipshape.role',
  /** Hash of the settings a container was created from, to detect drift. */
  configHash: 'io.shipshape.config-hash',
} as const;

/** Whether an engine API error has one of these HTTP status codes (404 not found, 409 conflict, ...). */
export const isStatus = (e: unknown, ...codes: number[]): boolean =>
  codes.includes((e as { statusCode?: number } | undefined)?.statusCode ?? 0);

let shared: Docker | undefined;

/** The engine named by DOCKER_HOST, else the local socket. */
export function engine(): Docker {
  shared ??= new Docker();
  return shared;
}

export interface EngineInfo {
  version: string;
  apiVersion: string;
  os: string;
  storageDriver?: string;
}

export async function engineInfo(docker: Docker = engine()): Promise<EngineInfo> {
  const v = await docker.version();
  const info = (await docker.info()) as { Driver?: string };
  return {
    version: v.Version,
    apiVersion: v.ApiVersion,
    os: `${v.Os}/${v.Arch}`,
    storageDriver: info.Driver,
  };
}

/** Ping the engine or fail with a message that says how to get one. */
export async function requireEngine(docker: Docker = engine()): Promise<Docker> {
  try {
    await docker.ping();
    return docker;
  } catch (e) {
    throw new ShipshapeError(`cannot reach the Docker engine (${(e as Error).message})`, {
      exitCode: ExitCode.environment,
      hint: 'start it (scripts/dev-env.sh does on Debian), or point DOCKER_HOST at one; `shipshape doctor` checks',
    });
  }
}

/** `{label: value}` → the engine's `label` filter list. */
export function labelFilter(labels: Record<string, string | undefined>): string[] {
  return Object.entries(labels).map(([k, v]) => (v === undefined ? k : `${k}=${v}`));
}

export interface RemovedCounts {
  containers: number;
  networks: number;
  volumes: number;
}

/** Remove every container, network and (optionally) volume carrying all `labels`. */
export async function removeByLabel(
  labels: Record<string, string | undefined>,
  options: { volumes?: boolean; docker?: Docker } = {},
): Promise<RemovedCounts> {
  const docker = options.docker ?? engine();
  const filters = JSON.stringify({ label: labelFilter(labels) });
  const counts: RemovedCounts = { containers: 0, networks: 0, volumes: 0 };
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map(async (c) => {
      await docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch((e: unknown) => {
          if (!isStatus(e, 404, 409)) throw e;
        });
      counts.containers++;
    }),
  );
  // Networks and volumes only once no container of the label holds them.
  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map(async (n) => {
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch((e: unknown) => {
          if (!isStatus(e, 404)) throw e;
        });
      counts.networks++;
    }),
  );
  if (options.volumes) {
    const { Volumes } = await docker.listVolumes({ filters });
    await Promise.all(
      (Volumes ?? []).map(async (v) => {
        await docker
          .getVolume(v.Name)
          .remove()
          .catch((e: unknown) => {
            if (!isStatus(e, 404)) throw e;
          });
        counts.volumes++;
      }),
    );
  }
  return counts;
}
