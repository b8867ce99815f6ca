import { existsSync, readFileSync } from 'node:fs';
import { parseImageRef } from '../model/image-ref.js';
import type { ImageFacts } from '../model/types.js';
import { cachedBlob, storeBlob } from './blob-cache.js';
import { factsFromConfig, type ImageConfigJson } from './config-facts.js';
import { RegistryClient, RegistryError, endpointOf, type RegistryEndpoint } from './registry-client.js';

/**
 * An image's facts from its registry without pulling it: the manifest its reference names (for a
 * multi-platform index, the manifest of the task's platform), then the config blob that manifest
 * names — never a layer. Docker Hub images go to the configured mirrors first, as the engine does.
 */

export interface RegistryReadOptions {
  env?: NodeJS.ProcessEnv;
  /** Docker Hub mirrors (`https://mirror.example.com`), tried in order before Docker Hub. */
  mirrors?: string[];
  /** Where config blobs are cached by digest. */
  cacheDir: string;
  /** One client per registry, shared by the reads of one command (tokens, the scheme that worked). */
  clients?: Map<string, RegistryClient>;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string; variant?: string };
}

interface ManifestJson {
  mediaType?: string;
  manifests?: Descriptor[];
  config?: Descriptor;
}

/**
 * Docker Hub mirrors: `SHIPSHAPE_REGISTRY_MIRRORS` (comma-separated URLs), else the engine's
 * `registry-mirrors` in `/etc/docker/daemon.json` — the same mirrors `docker pull` uses.
 */
export function configuredMirrors(
  env: NodeJS.ProcessEnv = process.env,
  daemonConfig = '/etc/docker/daemon.json',
): string[] {
  const fromEnv = env.SHIPSHAPE_REGISTRY_MIRRORS;
  if (fromEnv !== undefined) return splitMirrors(fromEnv.split(','));
  try {
    if (!existsSync(daemonConfig)) return [];
    const daemon = JSON.parse(readFileSync(daemonConfig, 'utf8')) as { 'registry-mirrors'?: string[] };
    return splitMirrors(daemon['registry-mirrors'] ?? []);
  } catch {
    return [];
  }
}

function splitMirrors(urls: string[]): string[] {
  return urls.map((u) => u.trim().replace(/\/+$/, '')).filter((u) => /^https?:\/\/[^/]+/.test(u));
}

/** The registries to ask for `host`, in order: mirrors first for Docker Hub, then the registry itself. */
function endpointsFor(host: string, mirrors: string[]): RegistryEndpoint[] {
  const own = endpointOf(host);
  if (host !== 'docker.io') return [own];
  return [...mirrors.map((m) => ({ host: new URL(m).host, bases: [m] })), own];
}

function client(options: RegistryReadOptions, endpoint: RegistryEndpoint): RegistryClient {
  const key = endpoint.bases.join(' ');
  const clients = options.clients ?? new Map<string, RegistryClient>();
  options.clients = clients;
  let c = clients.get(key);
  if (!c) clients.set(key, (c = new RegistryClient(endpoint, options.env)));
  return c;
}

/** Read `image`'s facts for `platform` (`linux/amd64`) from its registry (or a mirror). */
export async function readFromRegistry(
  image: string,
  platform: string,
  options: RegistryReadOptions,
): Promise<ImageFacts> {
  const ref = parseImageRef(image);
  const host = ref.registry ?? 'docker.io';
  const reference = ref.digest ?? ref.tag ?? 'latest';
  const failures: RegistryError[] = [];
  for (const endpoint of endpointsFor(host, options.mirrors ?? [])) {
    try {
      return await readFrom(client(options, endpoint), ref.repository, reference, image, platform, options);
    } catch (e) {
      if (!(e instanceof RegistryError)) throw e;
      failures.push(e);
    }
  }
  // The registry's own failure says most; the mirrors' are added to it.
  const last = failures[failures.length - 1]!;
  const mirrors = failures.slice(0, -1).map((f) => `mirror ${f.registry}: ${f.message}`);
  throw new RegistryError(last.registry, last.problem, [last.message, ...mirrors].join('; '));
}

async function readFrom(
  registry: RegistryClient,
  repository: string,
  reference: string,
  image: string,
  platform: string,
  options: RegistryReadOptions,
): Promise<ImageFacts> {
  const top = await registry.manifest(repository, reference);
  let manifest = parseJson<ManifestJson>(top.body, registry, `manifest of ${image}`);
  if (manifest.manifests) {
    const chosen = choosePlatform(manifest.manifests, platform);
    if (!chosen) {
      const offered = manifest.manifests.map(platformName).filter((p) => !p.startsWith('unknown'));
      throw new RegistryError(
        registry.endpoint.host,
        'not-found',
        `${image} has no ${platform} image (it has ${offered.join(', ') || 'none'})`,
      );
    }
    const platformManifest = await registry.manifest(repository, chosen.digest);
    manifest = parseJson<ManifestJson>(
      platformManifest.body,
      registry,
      `manifest of ${image} for ${platform}`,
    );
  }
  const configDigest = manifest.config?.digest;
  if (!configDigest)
    throw new RegistryError(
      registry.endpoint.host,
      'invalid',
      `the manifest of ${image} names no image config`,
    );
  let body = cachedBlob(options.cacheDir, configDigest);
  if (!body) {
    body = (await registry.blob(repository, configDigest)).body;
    storeBlob(options.cacheDir, configDigest, body);
  }
  const config = parseJson<ImageConfigJson>(body, registry, `image config of ${image}`);
  return factsFromConfig(config, {
    image,
    platform,
    digest: top.digest,
    config: configDigest,
    from: 'registry',
  });
}

function platformName(d: Descriptor): string {
  const p = d.platform ?? {};
  return [p.os ?? 'unknown', p.architecture ?? 'unknown', p.variant].filter(Boolean).join('/');
}

/** The index entry for `linux/arm64[/v8]`: os and architecture must match; a variant only when asked. */
export function choosePlatform(manifests: Descriptor[], platform: string): Descriptor | undefined {
  const [os, architecture, variant] = platform.split('/');
  const candidates = manifests.filter(
    (m) => m.platform?.os === os && m.platform?.architecture === architecture,
  );
  if (variant) return candidates.find((m) => m.platform?.variant === variant) ?? candidates[0];
  return candidates[0];
}

function parseJson<T>(body: Buffer, registry: RegistryClient, what: string): T {
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new RegistryError(registry.endpoint.host, 'invalid', `the ${what} is not JSON`);
  }
}
