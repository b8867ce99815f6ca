import type Docker from 'dockerode';
import { ShipshapeError } from '../model/errors.js';
import { runsAsRoot } from '../model/intent/index.js';
import type { AppModel, ServiceModel } from '../model/types.js';
import { buildServiceImage } from '../engine/build.js';
import { ensureImage } from '../engine/images.js';
import { engine } from '../engine/client.js';
import { RunScope } from '../engine/run-scope.js';
import { onCleanup } from '../support/cleanup.js';
import { converge, type ConvergeResult } from './converge.js';
import { dependencyOrder, planApp, type AppPlan } from './plan.js';
import { fargatePlan } from './fargate/plan.js';
import { synthesizedTasks } from './fargate/assembly.js';

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
  /**
   * Run the synthesized task definitions instead of the model's containers, under Fargate's rules
   * (src/local/fargate/plan.ts). Default false.
   */
  fargate?: boolean;
}

export interface UpResult extends ConvergeResult {
  plan: AppPlan;
  /** Non-fatal findings, e.g. images that run as root. */
  warnings: string[];
}

/**
 * Bring the app up the way production runs it (see docs/up.md): build, plan, converge by config
 * hash, start each service as soon as what it depends on is ready, and return once every
 * selected service is ready. Everything created carries the app's labels; on Ctrl-C what this
 * run created is removed.
 */
export async function up(app: AppModel, options: UpOptions = {}): Promise<UpResult> {
  const docker = options.docker ?? engine();
  const progress = options.onProgress ?? (() => undefined);
  // Resolve images first: a failed build leaves nothing running behind.
  const { images, imageIds, warnings } = await resolveImages(docker, app, options, progress);
  const modelPlan = planApp(app, {
    services: options.services,
    host: options.host,
    images,
    imageIds,
    gatewayImage: options.gatewayImage,
    lbMode: options.lbMode,
    nginxImage: options.nginxImage,
  });
  const plan = options.fargate ? await asFargateRuns(docker, app, modelPlan, images, progress) : modelPlan;
  await ensureGatewayImages(docker, plan, options.lbMode, progress);

  // Undo for Ctrl-C / crash: remove exactly what this run created.
  const scope = new RunScope(docker, RUN_LABEL);
  const unregister = onCleanup(`remove what this \`up\` of ${app.name} created`, async () => {
    await scope.undo({ volumes: true });
  });
  try {
    const result = await converge(docker, app, plan, scope, {
      progress,
      timeoutMs: options.timeoutMs ?? 180_000,
    });
    return { plan, ...result, warnings };
  } catch (e) {
    throw scope.failure(e);
  } finally {
    // A failed `up` leaves the app's containers for inspection (`logs`, `ps`); `down` removes them.
    unregister();
  }
}

/** The plan with each deployed service's replicas run from its synthesized task definition. */
async function asFargateRuns(
  docker: Docker,
  app: AppModel,
  plan: AppPlan,
  images: Record<string, string>,
  progress: (m: string) => void,
): Promise<AppPlan> {
  progress('synthesizing the task definitions');
  const { tasks, values } = await synthesizedTasks(app);
  const fargate = fargatePlan(app, plan, { tasks, values, images });
  const helperImages = new Set(fargate.containers.flatMap((c) => (c.before ?? []).map((h) => h.spec.Image!)));
  for (const image of helperImages) await ensureImage(docker, image, progress);
  return fargate;
}

interface ResolvedImages {
  /** Image reference per service. */
  images: Record<string, string>;
  /** Image id per reference, so a rebuilt image changes the config hash. */
  imageIds: Record<string, string>;
  warnings: string[];
}

/** Build or find every selected service's image, side by side; warn about images that run as root. */
async function resolveImages(
  docker: Docker,
  app: AppModel,
  options: UpOptions,
  progress: (m: string) => void,
): Promise<ResolvedImages> {
  const order = dependencyOrder(app, options.services);
  const selected = app.services.filter((s) => order.includes(s.name));
  const settled = await Promise.allSettled(
    selected.map((s) => serviceImage(docker, app, s, options, progress)),
  );
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const resolved: ResolvedImages = { images: {}, imageIds: {}, warnings: [] };
  for (const [i, s] of selected.entries()) {
    const { ref, id } = (settled[i] as PromiseFulfilledResult<{ ref: string; id: string }>).value;
    resolved.images[s.name] = ref;
    resolved.imageIds[ref] = id;
    if (await runsAsRootLocally(docker, ref, s)) {
      const w = `service "${s.name}" runs as root (${s.intent.user.reason}); add \`USER\` to its Dockerfile or \`user:\` in compose`;
      resolved.warnings.push(w);
      progress(`warning: ${w}`);
    }
  }
  return resolved;
}

/** The service's image: built from `build:` (tagged as its `image:` when it has one), else its `image:`. */
async function serviceImage(
  docker: Docker,
  app: AppModel,
  s: ServiceModel,
  options: UpOptions,
  progress: (m: string) => void,
): Promise<{ ref: string; id: string }> {
  if (s.build) {
    progress(`building ${s.name}`);
    const built = await buildServiceImage(app, s, {
      docker,
      onProgress: (line) => options.onBuildOutput?.(s.name, line),
      ...(s.image ? { tag: s.image } : {}),
    });
    return { ref: built.tag, id: built.imageId };
  }
  if (s.image) return { ref: s.image, id: await ensureImage(docker, s.image, progress) };
  throw new ShipshapeError(`service "${s.name}" has neither \`image:\` nor \`build:\``, {
    location: s.location,
    path: `services.${s.name}`,
  });
}

/** The gateways' images; with `--lb nginx`, say which gateways stay the Node gateway and why. */
async function ensureGatewayImages(
  docker: Docker,
  plan: AppPlan,
  lbMode: UpOptions['lbMode'],
  progress: (m: string) => void,
): Promise<void> {
  const gateways = plan.containers.filter((c) => c.role === 'gateway');
  await Promise.all(
    [...new Set(gateways.map((c) => c.spec.Image!))].map((i) => ensureImage(docker, i, progress)),
  );
  if (lbMode !== 'nginx') return;
  for (const g of gateways.filter((c) => c.gateway === 'node')) {
    progress(
      `${g.service}: its gateway also carries internal calls (any TCP protocol), which nginx here cannot proxy; it stays the Node gateway`,
    );
  }
}

/** The model's decision, completed with the image's USER when only the engine can tell. */
async function runsAsRootLocally(docker: Docker, ref: string, s: ServiceModel): Promise<boolean> {
  if (s.intent.user.root !== 'unknown') return runsAsRoot(s.intent.user);
  const inspected = (await docker.getImage(ref).inspect()) as { Config?: { User?: string } };
  return runsAsRoot(s.intent.user, inspected.Config?.User ?? '');
}
