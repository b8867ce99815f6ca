import { lastLogLines } from '../engine/logs.js';
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import { runsAsRoot } from '../model/intent/index.js';
import type { AppModel, DependencyCondition, ServiceModel } from '../model/types.js';
import { buildServiceImage } from '../engine/build.js';
import { ensureImage } from '../engine/images.js';
import { LABELS, engine, isStatus, removeByLabel } from '../engine/client.js';
import { onCleanup } from '../support/cleanup.js';
import { listLocalContainers } from './ops.js';
import { NGINX_READY_LOG } from './nginx.js';
import { dependencyOrder, planApp, type AppPlan, type PlannedContainer } from './plan.js';

/** Label marking what one `up` run created, so Ctrl-C removes exactly that. */
export const RUN_LABEL = 'io.shipshape.run';

export interface UpOptions {
  /** Services to start (plus their dependencies). Default: all. */
  services?: string[];
  /** Host address for published ports. Default `127.0.0.1` (compose's explicit host IP wins). */
  host?: string;
  /** Engine. Default the shared client. */
  docker?: Docker;
  /** Progress messages for people (stderr). Default: ignored. */
  onProgress?: (message: string) => void;
  /** Build output lines. Default: ignored. */
  onBuildOutput?: (service: string, line: string) => void;
  /** Give up waiting for a service to become healthy after this long. Default 180 000 ms. */
  timeoutMs?: number;
  /** Gateway image. Default `SHIPSHAPE_GATEWAY_IMAGE`, else `node:20-bookworm-slim`. */
  gatewayImage?: string;
  /**
   * Balancing of public ports: `http` per request (default), `tcp` per connection, or `nginx`
   * (per request by nginx, for gateways whose ports are all public).
   */
  lbMode?: 'http' | 'tcp' | 'nginx';
  /** nginx image for `lbMode: 'nginx'`. Default `SHIPSHAPE_NGINX_IMAGE`, else `nginx:stable-bookworm`. */
  nginxImage?: string;
}

export interface UpResult {
  plan: AppPlan;
  /** Containers created by this run. */
  created: string[];
  /** Containers left as they were (same config hash). */
  unchanged: string[];
  /** Containers removed because their service changed or was scaled down. */
  removed: string[];
  /** Non-fatal findings, e.g. images that run as root. */
  warnings: string[];
}

/**
 * Bring the app up the way production runs it (see docs/up.md): build, plan, reconcile by
 * config hash, start in dependency order, and return once every selected service is healthy.
 * Everything created carries the app's labels; on Ctrl-C what this run created is removed.
 */
export async function up(app: AppModel, options: UpOptions = {}): Promise<UpResult> {
  const docker = options.docker ?? engine();
  const progress = options.onProgress ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 180_000;
  const runId = randomBytes(6).toString('hex');
  const warnings: string[] = [];

  // Resolve images first: a failed build leaves nothing running behind.
  const order = dependencyOrder(app, options.services);
  const selected = app.services.filter((s) => order.includes(s.name));
  const images: Record<string, string> = {};
  const imageIds: Record<string, string> = {};
  for (const s of selected) {
    if (s.build) {
      progress(`building ${s.name}`);
      const built = await buildServiceImage(app, s, {
        docker,
        onProgress: (line) => options.onBuildOutput?.(s.name, line),
        ...(s.image ? { tag: s.image } : {}),
      });
      images[s.name] = built.tag;
      imageIds[built.tag] = built.imageId;
    } else if (s.image) {
      images[s.name] = s.image;
      imageIds[s.image] = await ensureImage(docker, s.image, progress);
    } else {
      throw new ShipshapeError(`service "${s.name}" has neither \`image:\` nor \`build:\``, {
        location: s.location,
        path: `services.${s.name}`,
      });
    }
    if (await runsAsRootLocally(docker, images[s.name]!, s)) {
      const w = `service "${s.name}" runs as root (${s.intent.user.reason}); add \`USER\` to its Dockerfile or \`user:\` in compose`;
      warnings.push(w);
      progress(`warning: ${w}`);
    }
  }
  const gatewayRef = options.gatewayImage;
  const plan = planApp(app, {
    services: options.services,
    host: options.host,
    images,
    imageIds,
    gatewayImage: gatewayRef,
    lbMode: options.lbMode,
    nginxImage: options.nginxImage,
  });
  const gateways = plan.containers.filter((c) => c.role === 'gateway');
  for (const image of new Set(gateways.map((c) => c.spec.Image!))) await ensureImage(docker, image, progress);
  if (options.lbMode === 'nginx') {
    for (const g of gateways.filter((c) => c.gateway === 'node')) {
      progress(
        `${g.service}: its gateway also carries internal calls (any TCP protocol), which nginx here cannot proxy; it stays the Node gateway`,
      );
    }
  }

  // Undo for Ctrl-C / crash: remove exactly what this run created.
  const runLabels = { [LABELS.app]: app.name, [RUN_LABEL]: runId };
  const unregister = onCleanup(`remove what this \`up\` of ${app.name} created`, async () => {
    await removeByLabel(runLabels, { docker, volumes: true });
  });

  try {
    const result = await reconcile(docker, app, plan, runId, progress, timeoutMs);
    unregister();
    return { plan, ...result, warnings };
  } catch (e) {
    // A failed `up` leaves the app's containers for inspection (`logs`, `ps`); `down` removes them.
    unregister();
    throw e;
  }
}

/** The model's decision, completed with the image's USER when only the engine can tell. */
async function runsAsRootLocally(docker: Docker, ref: string, s: ServiceModel): Promise<boolean> {
  if (s.intent.user.root !== 'unknown') return runsAsRoot(s.intent.user);
  const inspected = (await docker.getImage(ref).inspect()) as { Config?: { User?: string } };
  return runsAsRoot(s.intent.user, inspected.Config?.User ?? '');
}

interface ExistingContainer {
  id: string;
  name: string;
  hash?: string;
  service?: string;
  state: string;
}

async function reconcile(
  docker: Docker,
  app: AppModel,
  plan: AppPlan,
  runId: string,
  progress: (m: string) => void,
  timeoutMs: number,
): Promise<Pick<UpResult, 'created' | 'unchanged' | 'removed'>> {
  const existing: ExistingContainer[] = (await listLocalContainers(app.name, docker)).map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    hash: c.Labels[LABELS.configHash],
    service: c.Labels[LABELS.service],
    state: c.State,
  }));
  const wanted = new Map(plan.containers.map((c) => [c.name, c]));
  const selected = new Set(plan.order);
  const removed: string[] = [];
  const created: string[] = [];
  const unchanged: string[] = [];

  // Remove containers of selected services that are no longer wanted or whose config changed.
  const keep = new Map<string, ExistingContainer>();
  for (const c of existing) {
    const want = wanted.get(c.name);
    if (want && want.hash === c.hash) {
      keep.set(c.name, c);
      continue;
    }
    if (want || (c.service && selected.has(c.service))) {
      await docker.getContainer(c.id).remove({ force: true, v: true });
      removed.push(c.name);
    }
  }
  if (removed.length > 0) progress(`removed ${removed.length} changed container(s): ${removed.join(', ')}`);

  const runLabels = { [RUN_LABEL]: runId };
  for (const v of plan.volumes) {
    try {
      await docker.getVolume(v.name).inspect();
    } catch (e) {
      if (!isStatus(e, 404)) throw e;
      await docker.createVolume({ Name: v.name, Labels: { ...v.labels, ...runLabels } });
    }
  }
  const networkIds = new Map<string, string>();
  for (const n of plan.networks) {
    const found = await docker.listNetworks({ filters: JSON.stringify({ name: [n.name] }) });
    const exact = found.find((x) => x.Name === n.name);
    if (exact && exact.Internal === n.internal) {
      networkIds.set(n.name, exact.Id);
      continue;
    }
    if (exact) await docker.getNetwork(exact.Id).remove();
    const net = await docker
      .createNetwork({
        Name: n.name,
        Internal: n.internal,
        Options: n.options,
        CheckDuplicate: true,
        Labels: { ...n.labels, ...runLabels, 'io.shipshape.purpose': n.purpose },
      })
      .catch((e: Error) => {
        throw new ShipshapeError(`creating network ${n.name} failed: ${e.message}`, {
          exitCode: ExitCode.environment,
          cause: e,
          hint: /address pool/i.test(e.message)
            ? 'the engine ran out of subnets: remove unused networks (`docker network prune`) or widen `default-address-pools` in daemon.json'
            : 'check the Docker engine (`shipshape doctor up`)',
        });
      });
    networkIds.set(n.name, net.id);
  }

  const byService = new Map<string, PlannedContainer[]>();
  for (const c of plan.containers) byService.set(c.service, [...(byService.get(c.service) ?? []), c]);
  const ids = new Map<string, string>();

  for (const serviceName of plan.order) {
    const service = app.services.find((s) => s.name === serviceName)!;
    for (const dep of service.dependsOn) {
      if (!selected.has(dep.service)) continue;
      progress(`${serviceName}: waiting for ${dep.service} (${dep.condition})`);
      await waitForService(
        docker,
        app,
        dep.service,
        byService.get(dep.service) ?? [],
        ids,
        dep.condition,
        timeoutMs,
      );
    }
    const containers = byService.get(serviceName) ?? [];
    // Replicas first, then the gateway in front of them.
    for (const c of [...containers].sort((a, b) => (a.replica === 0 ? 1 : 0) - (b.replica === 0 ? 1 : 0))) {
      const kept = keep.get(c.name);
      if (kept) {
        ids.set(c.name, kept.id);
        unchanged.push(c.name);
        if (kept.state !== 'running' && !isOneShot(app, serviceName))
          await docker.getContainer(kept.id).start();
        else if (c.gateway === 'nginx' && containers.some((r) => r.replica > 0 && created.includes(r.name))) {
          // nginx resolved the replica names when it started; recreated replicas may have new
          // addresses. SIGHUP reloads the config, resolving them again, without dropping requests.
          await docker.getContainer(kept.id).kill({ signal: 'SIGHUP' });
          progress(`${serviceName}: reloaded the nginx gateway for the new replicas`);
        }
        continue;
      }
      const [first, ...rest] = c.networks;
      const container = await docker.createContainer({
        ...c.spec,
        Labels: { ...c.spec.Labels, [LABELS.configHash]: c.hash, ...runLabels },
        HostConfig: { ...c.spec.HostConfig, NetworkMode: first!.network },
        NetworkingConfig: { EndpointsConfig: { [first!.network]: { Aliases: first!.aliases } } },
      });
      // API 1.41 attaches one network at create; the others are connected before start.
      for (const n of rest) {
        await docker.getNetwork(networkIds.get(n.network)!).connect({
          Container: container.id,
          EndpointConfig: { Aliases: n.aliases },
        });
      }
      ids.set(c.name, container.id);
      await container.start().catch((e: Error) => {
        const port = /(?:Bind for |listen tcp4? )[\d.:]*:(\d+)/.exec(e.message)?.[1];
        throw new ShipshapeError(`starting ${c.name} failed: ${e.message}`, {
          exitCode: ExitCode.failure,
          location: app.services.find((s) => s.name === serviceName)?.location,
          cause: e,
          hint: port
            ? `host port ${port} is taken by another process or app: stop it, or change \`ports:\` (e.g. "${port}" alone picks a free port)`
            : `\`shipshape logs ${serviceName}\` shows more; \`shipshape down\` removes the app`,
        });
      });
      created.push(c.name);
    }
    progress(`${serviceName}: started ${containers.length} container(s)`);
  }

  for (const serviceName of plan.order) {
    const condition: DependencyCondition = isOneShot(app, serviceName)
      ? 'service_completed_successfully'
      : 'service_healthy';
    await waitForService(
      docker,
      app,
      serviceName,
      byService.get(serviceName) ?? [],
      ids,
      condition,
      timeoutMs,
    );
    progress(`${serviceName}: ${condition === 'service_healthy' ? 'ready' : 'completed'}`);
  }
  return { created, unchanged, removed };
}

/** A service some other service waits on with `service_completed_successfully`: a job, not a server. */
function isOneShot(app: AppModel, service: string): boolean {
  return app.services.some((s) =>
    s.dependsOn.some((d) => d.service === service && d.condition === 'service_completed_successfully'),
  );
}

interface InspectState {
  Status: string;
  Running: boolean;
  ExitCode: number;
  Restarting: boolean;
  Health?: { Status: string };
}

/**
 * Wait until every container of `service` satisfies `condition`. `service_healthy` means healthy
 * when the service has a healthcheck, else running; the gateway must also be listening.
 */
async function waitForService(
  docker: Docker,
  app: AppModel,
  service: string,
  containers: PlannedContainer[],
  ids: Map<string, string>,
  condition: DependencyCondition,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const fail = async (c: PlannedContainer, id: string, why: string): Promise<never> => {
    const logs = await lastLogLines(docker, id);
    throw new ShipshapeError(
      `service "${service}" ${c.replica === 0 ? '(gateway)' : `(replica ${c.replica})`} ${why}` +
        (logs ? `\n--- last log lines of ${c.name} ---\n${logs}` : ''),
      {
        exitCode: ExitCode.failure,
        location: app.services.find((s) => s.name === service)?.location,
        hint: `\`shipshape logs ${service}\` shows more; \`shipshape down\` removes the app`,
      },
    );
  };
  for (const c of containers) {
    const id = ids.get(c.name);
    if (!id) continue;
    if (condition === 'service_started' && c.role === 'service') continue;
    for (;;) {
      const info = (await docker.getContainer(id).inspect()) as { State: InspectState };
      const st = info.State;
      if (condition === 'service_completed_successfully') {
        if (c.role === 'gateway') break;
        if (!st.Running && st.Status === 'exited') {
          if (st.ExitCode === 0) break;
          await fail(c, id, `exited with code ${st.ExitCode}`);
        }
      } else {
        if (st.Status === 'exited' || st.Status === 'dead')
          await fail(c, id, `exited with code ${st.ExitCode}`);
        if (st.Restarting) await fail(c, id, 'keeps restarting');
        if (st.Health?.Status === 'unhealthy') await fail(c, id, 'is unhealthy');
        if (c.role === 'gateway') {
          const log = await lastLogLines(docker, id, 200);
          if (log.includes(c.gateway === 'nginx' ? NGINX_READY_LOG : 'listening on')) break;
        } else if (condition === 'service_started' || !st.Health || st.Health.Status === 'healthy') {
          if (st.Running) break;
        }
      }
      if (Date.now() > deadline) await fail(c, id, `was not ready within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
