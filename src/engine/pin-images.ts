import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type Docker from 'dockerode';
import {
  describeChange,
  lockedFacts,
  readLock,
  serializeLock,
  withEntry,
  LOCK_FILE,
} from '../model/image-lock.js';
import { parseImageRef } from '../model/image-ref.js';
import { requestedPlatform } from '../model/intent/index.js';
import type { AppModel, ImageFacts } from '../model/types.js';
import { cacheDir } from '../images/blob-cache.js';
import { readFromEngine } from './image-facts.js';
import { RegistryError, type RegistryClient } from '../images/registry-client.js';
import { configuredMirrors, readFromRegistry } from '../images/registry-read.js';

/**
 * Pin the images of the app's image-only services in shipshape.lock: read each image's config
 * (its registry, or the engine's copy) and write digest and facts next to the compose file. The
 * commands that need fresh facts call this before they load the model for good: `config
 * --update-lock` (every image again, from its registry first), `check`, `slim`, `deploy` (only
 * images the lock lacks, from the engine's copy first: the image they then read and run).
 */

export interface PinOptions {
  /** Read every image again (`config --update-lock`); default: only those the lock lacks. */
  update?: boolean;
  /** The engine, for images it has (and for images only it has); undefined: registries only. */
  docker?: Docker;
  env?: NodeJS.ProcessEnv;
  onProgress?: (line: string) => void;
}

export interface PinResult {
  file: string;
  /** Whether the lock file was written. */
  written: boolean;
  /** `redis:7 (linux/amd64): sha256:…` for each new entry. */
  added: string[];
  /** `redis:7 (linux/amd64): digest sha256:1… → sha256:2…` for each entry that changed. */
  changed: string[];
  /** One per image that could not be read: which registry, why, and what was used instead. */
  notes: string[];
}

interface Target {
  image: string;
  platform: string;
}

/** The images to pin: every image-only service that runs as a container in the cloud, once per platform. */
export function pinTargets(app: AppModel): Target[] {
  const seen = new Map<string, Target>();
  for (const s of app.services) {
    if (s.build || !s.image) continue;
    if (s.intent.placement !== 'service' && s.intent.placement !== 'job') continue;
    const t = { image: s.image, platform: requestedPlatform(s) };
    seen.set(`${t.image} ${t.platform}`, t);
  }
  return [...seen.values()];
}

export async function pinImages(app: AppModel, options: PinOptions = {}): Promise<PinResult> {
  const lock = readLock(app.projectDir);
  const env = options.env ?? process.env;
  const context: ReadContext = {
    docker: options.docker,
    registry: {
      env,
      mirrors: configuredMirrors(env),
      cacheDir: cacheDir(env),
      clients: new Map<string, RegistryClient>(),
    },
  };
  const all = pinTargets(app);
  const targets = all.filter((t) => options.update || !lockedFacts(lock, t.image, t.platform));
  const result: PinResult = { file: lock.file, written: false, added: [], changed: [], notes: [] };
  // Refreshing drops the entries no service uses any more (an `image:` changed in compose).
  const used = (e: ImageFacts) => all.some((t) => t.image === e.image && t.platform === e.platform);
  let entries = options.update ? lock.images.filter(used) : [...lock.images];
  if (options.update)
    for (const e of lock.images.filter((x) => !used(x)))
      result.changed.push(`${e.image} (${e.platform}): removed, no service uses it`);
  const outcomes = await mapLimited(targets, 4, async (t) => {
    options.onProgress?.(`reading the image config of ${t.image} (${t.platform})`);
    return { target: t, ...(await readFacts(t, context, !!options.update)) };
  });
  for (const { target: t, facts, failure } of outcomes) {
    const before = lockedFacts(lock, t.image, t.platform);
    const label = `${t.image} (${t.platform})`;
    if (failure) {
      const fallback = facts
        ? "used the engine's copy"
        : before
          ? `kept the entry of ${LOCK_FILE}`
          : 'its facts are assumed (see `shipshape config`)';
      result.notes.push(`${label}: ${failure}; ${fallback}`);
    }
    if (!facts) continue;
    if (!before) result.added.push(`${label}: ${facts.digest ?? `engine-only image ${facts.config}`}`);
    else {
      const change = describeChange(before, facts);
      if (change.length > 0) result.changed.push(`${label}: ${change.join('; ')}`);
    }
    entries = withEntry(entries, facts);
  }
  result.written = writeIfChanged(lock.file, serializeLock(entries));
  return result;
}

interface ReadContext {
  docker?: Docker;
  registry: Parameters<typeof readFromRegistry>[2];
}

/**
 * One image's facts. Refreshing: its registry (what the tag is now), else the engine's copy. Adding
 * for a command about to run it: the engine's copy (what that command reads and runs), else the registry.
 */
async function readFacts(
  t: Target,
  context: ReadContext,
  refresh: boolean,
): Promise<{ facts?: ImageFacts; failure?: string }> {
  const fromEngine = async () =>
    context.docker ? readFromEngine(context.docker, t.image, t.platform).catch(() => undefined) : undefined;
  if (!refresh) {
    const local = await fromEngine();
    if (local) return { facts: local };
  }
  try {
    return { facts: await readFromRegistry(t.image, t.platform, context.registry) };
  } catch (e) {
    if (!(e instanceof RegistryError)) throw e;
    const failure = `${registryName(t.image, e)}: ${e.message}`;
    return { facts: refresh ? await fromEngine() : undefined, failure };
  }
}

function registryName(image: string, e: RegistryError): string {
  const host = parseImageRef(image).registry ?? 'docker.io';
  return e.registry === host ? `registry ${host}` : `registry ${host} (last tried ${e.registry})`;
}

/** Write `text` to `file` unless it already holds exactly that; atomically (a crash leaves the old lock). */
function writeIfChanged(file: string, text: string): boolean {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return false;
  if (!existsSync(file) && /\nimages: \[\]\n$/.test(text)) return false;
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
  return true;
}

async function mapLimited<T, R>(items: T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
