import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { buildServiceImage } from '../engine/build.js';
import { ensureImage } from '../engine/images.js';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel, ServiceModel } from '../model/types.js';
import { onCleanup } from '../support/cleanup.js';
import type { ImageSlot } from '../infra/images.js';

/**
 * Deploy's images: build each built service (or, with `--slim`, its trace-verified slim image),
 * bake derived services (an `image:` plus project files) into an image of their own, copy
 * image-only services' and helper images from the local engine, give each an immutable tag
 * derived from its content, and push it to its repository unless the registry already has that
 * tag. Tasks run each by the digest the registry reports (src/infra/images.ts).
 */

export interface LocalImage {
  /** The service, or helper, whose image it is. */
  service: string;
  /** The repository it is pushed to (one image per repository). */
  repositoryName: string;
  /** `sha256:…` id of the image to push. */
  imageId: string;
  /** How it was made. */
  source: 'build' | 'derived' | 'slim' | 'copy';
}

export interface PushedImage extends LocalImage {
  /** `<registry>/<repository>@<digest>`: what the tasks run. */
  reference: string;
  /** The content-derived tag it was pushed under. */
  tag: string;
  /** `sha256:…` manifest digest the registry reports. */
  digest: string;
  /** False when the registry already had this tag (same content), so nothing was sent. */
  pushed: boolean;
}

/** Where images go and how to log in. */
export interface RegistryTarget {
  /** Registry host (`123456789012.dkr.ecr.us-east-1.amazonaws.com`, `127.0.0.1:5000`). */
  host: string;
  /** Docker auth for the push; empty for a registry without authentication. */
  auth: { username?: string; password?: string; serveraddress?: string };
  /** The manifest digest of `repository:tag` when the registry has it, else undefined. */
  existingDigest(repository: string, tag: string): Promise<string | undefined>;
  /** What to tell people when a push fails. */
  pushHint: string;
}

/**
 * The immutable tag of an image: its content address (the image id, a digest of its config,
 * which names every layer) shortened. The same build gives the same tag, so an unchanged service
 * is neither pushed again nor redeployed.
 */
export function contentTag(imageId: string): string {
  const hex = imageId.replace(/^sha256:/, '');
  if (!/^[0-9a-f]{12,}$/.test(hex)) throw new Error(`not an image id: ${imageId}`);
  return `sha-${hex.slice(0, 20)}`;
}

/** The Dockerfile of a derived image: the compose image plus each baked file at its target. */
export function derivedDockerfile(image: string, files: { target: string }[]): string {
  const lines = [`FROM ${image}`];
  files.forEach((f, i) => lines.push(`COPY ${JSON.stringify([`files/${i}`, f.target])}`));
  return `${lines.join('\n')}\n`;
}

/** Build the image of a derived service in a temporary context (removed afterwards, also on Ctrl-C). */
async function buildDerived(
  docker: Docker,
  app: AppModel,
  service: ServiceModel,
  onProgress: (line: string) => void,
): Promise<string> {
  const image = service.image!;
  await ensureImage(docker, image, onProgress);
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-derived-'));
  const unregister = onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  try {
    const files = service.intent.cloudImage.files;
    files.forEach((f, i) => {
      const to = join(dir, 'files', String(i));
      cpSync(f.source, to, { recursive: statSync(f.source).isDirectory(), dereference: true });
    });
    writeFileSync(join(dir, 'Dockerfile'), derivedDockerfile(image, files));
    const built = await buildServiceImage(
      app,
      { ...service, build: { context: dir, dockerfile: 'Dockerfile', args: {} } },
      // A tag of its own: the service's `image:` name is the base it is built FROM, which a
      // build tagged by compose's rule (build + image → the image's name) would take over.
      { docker, onProgress: stepsOnly(onProgress), tag: `${app.name}-${service.name}:derived` },
    );
    return built.imageId;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    unregister();
  }
}

const stepsOnly = (onProgress: (line: string) => void) => (line: string) => {
  if (/^Step \d+\/\d+ :/.test(line)) onProgress(`  ${line}`);
};

export interface MakeImagesOptions {
  docker: Docker;
  /** Deploy the trace-verified slim image of each built service. Default false. */
  slim?: boolean;
  onProgress: (line: string) => void;
}

/** Make the image of every repository the slots name (first slot's source), in order. */
export async function makeImages(
  app: AppModel,
  slots: ImageSlot[],
  options: MakeImagesOptions,
): Promise<LocalImage[]> {
  const out: LocalImage[] = [];
  const seen = new Set<string>();
  for (const slot of slots) {
    if (seen.has(slot.repositoryName)) continue;
    seen.add(slot.repositoryName);
    const base = { service: slot.service, repositoryName: slot.repositoryName };
    if (slot.source.kind === 'copy') {
      out.push({
        ...base,
        imageId: await copiedImage(options, slot.service, slot.source.image),
        source: 'copy',
      });
      continue;
    }
    const service = app.services.find((s) => s.name === slot.service)!;
    out.push({ ...base, ...(await serviceImage(app, service, options)) });
  }
  return out;
}

async function serviceImage(
  app: AppModel,
  service: ServiceModel,
  options: MakeImagesOptions,
): Promise<Pick<LocalImage, 'imageId' | 'source'>> {
  if (service.intent.cloudImage.kind === 'derived') {
    options.onProgress(
      `${service.name}: baking ${service.intent.cloudImage.files.length} file(s) into ${service.image}`,
    );
    return {
      imageId: await buildDerived(options.docker, app, service, options.onProgress),
      source: 'derived',
    };
  }
  if (options.slim) return { imageId: await slimImage(app, service, options), source: 'slim' };
  options.onProgress(`${service.name}: building`);
  const built = await buildServiceImage(app, service, {
    docker: options.docker,
    onProgress: stepsOnly(options.onProgress),
  });
  return { imageId: built.imageId, source: 'build' };
}

/**
 * The image to copy into the app's registry: the one the engine has (pulled when absent). Fargate
 * runs Linux images only; whether its CPU is the task's, deploy checks for every image at once
 * (architecture.ts).
 */
async function copiedImage(options: MakeImagesOptions, owner: string, image: string): Promise<string> {
  options.onProgress(`${owner}: copying ${image} into the app's registry`);
  const id = await ensureImage(options.docker, image, options.onProgress);
  const info = (await options.docker.getImage(id).inspect()) as { Os?: string; Architecture?: string };
  if ((info.Os ?? 'linux') !== 'linux') {
    throw new ShipshapeError(
      `the image ${image} of "${owner}" on this machine is ${info.Os}/${info.Architecture}; Fargate runs Linux images`,
      {
        exitCode: ExitCode.environment,
        hint: `docker pull --platform linux/amd64 ${image}, then deploy again`,
      },
    );
  }
  return id;
}

async function slimImage(app: AppModel, service: ServiceModel, options: MakeImagesOptions): Promise<string> {
  options.onProgress(`${service.name}: building the slim image (trace, rebuild, verify)`);
  const { slim, SlimVerificationError } = await import('../slim/slim.js');
  try {
    const report = await slim({
      target: { kind: 'service', app, service },
      docker: options.docker,
      onProgress: (l) => options.onProgress(`  ${l}`),
    });
    options.onProgress(`${service.name}: slim image verified (${report.ratio.toFixed(1)}x smaller)`);
    return report.imageId;
  } catch (e) {
    if (e instanceof SlimVerificationError) {
      throw new ShipshapeError(
        `the slim image of "${service.name}" failed verification, so it is not deployed: ${e.message}`,
        {
          exitCode: ExitCode.verification,
          location: service.location,
          hint: `see ${e.folder}; fix the probes or x-shipshape.slim.include, or deploy the full image (without --slim)`,
        },
      );
    }
    throw e;
  }
}

interface PushEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string };
}

/** Push one image; the registry-qualified tag is removed afterwards (the local image stays). */
async function pushOne(docker: Docker, image: LocalImage, target: RegistryTarget): Promise<PushedImage> {
  const tag = contentTag(image.imageId);
  const repo = `${target.host}/${image.repositoryName}`;
  const pinned = (digest: string) => ({ ...image, reference: `${repo}@${digest}`, tag, digest });
  const existing = await target.existingDigest(image.repositoryName, tag);
  if (existing) return { ...pinned(existing), pushed: false };
  const reference = `${repo}:${tag}`;
  await docker.getImage(image.imageId).tag({ repo, tag });
  const untag = () =>
    docker
      .getImage(reference)
      .remove({ noprune: true })
      .catch(() => undefined);
  const unregister = onCleanup(`untag ${reference}`, untag);
  let digest: string | undefined;
  let failure: string | undefined;
  try {
    const stream = await docker.getImage(reference).push({ tag, authconfig: target.auth });
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(
        stream,
        (err) => (err ? reject(err) : resolve()),
        (e: PushEvent) => {
          if (e.error || e.errorDetail) failure = e.errorDetail?.message ?? e.error;
          if (e.aux?.Digest) digest = e.aux.Digest;
        },
      ),
    );
  } catch (e) {
    failure ??= (e as Error).message;
  } finally {
    await untag();
    unregister();
  }
  if (failure === undefined) digest ??= await target.existingDigest(image.repositoryName, tag);
  if (failure !== undefined || !digest) {
    throw new ShipshapeError(
      `pushing the image of "${image.service}" to ${repo} failed: ${failure ?? 'the registry reported no digest'}`,
      { exitCode: ExitCode.failure, hint: target.pushHint },
    );
  }
  return { ...pinned(digest), pushed: true };
}

/** Push every image to its repository at `target`. */
export async function pushImages(
  docker: Docker,
  images: LocalImage[],
  target: RegistryTarget,
  onProgress: (line: string) => void,
): Promise<PushedImage[]> {
  const out: PushedImage[] = [];
  for (const image of images) {
    const pushed = await pushOne(docker, image, target);
    onProgress(
      `${image.service}: ${pushed.pushed ? 'pushed' : 'already in the registry:'} ${pushed.reference} (tag ${pushed.tag})`,
    );
    out.push(pushed);
  }
  return out;
}

/** The stack parameters that pin each slot to the digest pushed to its repository. */
export function digestParameters(slots: ImageSlot[], images: PushedImage[]): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const slot of slots) {
    const image = images.find((i) => i.repositoryName === slot.repositoryName);
    if (image) parameters[`${slot.stackName}:${slot.parameter}`] = image.digest;
  }
  return parameters;
}

/** Whether a registry host is plain HTTP (loopback, as Docker itself assumes). */
export function isInsecureRegistry(host: string): boolean {
  return /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(host);
}

/** A registry given with `--registry HOST[:PORT]` (Docker Registry HTTP API v2, no authentication). */
export function plainRegistry(host: string): RegistryTarget {
  const scheme = isInsecureRegistry(host) ? 'http' : 'https';
  return {
    host,
    auth: {},
    async existingDigest(repository, tag) {
      const res = await fetch(`${scheme}://${host}/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: {
          Accept: [
            'application/vnd.docker.distribution.manifest.v2+json',
            'application/vnd.oci.image.manifest.v1+json',
          ].join(', '),
        },
        signal: AbortSignal.timeout(10_000),
      }).catch((e: Error) => {
        throw new ShipshapeError(`cannot reach the registry ${host}: ${e.cause ?? e.message}`, {
          exitCode: ExitCode.environment,
          hint: `start it, or check --registry (try: curl ${scheme}://${host}/v2/)`,
        });
      });
      return res.ok ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
    },
    pushHint: `check that the registry ${host} is running and accepts pushes (curl ${scheme}://${host}/v2/)`,
  };
}
