import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { ShipshapeError } from './errors.js';
import type { ImageFacts } from './types.js';

/**
 * shipshape.lock: the images shipshape read, each pinned by digest with what its config says, next
 * to the compose file and committed like a package lock. The model reads it synchronously
 * (`loadApp` stays offline and fast); the commands that read registries (`config --update-lock`,
 * `check`, `slim`, `deploy`, src/images/) write it. Deterministic: entries sorted by image and
 * platform, keys in a fixed order, so a changed tag is a one-entry diff.
 */

export const LOCK_FILE = 'shipshape.lock';
export const LOCK_VERSION = 1;
export const DEFAULT_PLATFORM = 'linux/amd64';

const healthcheck = z.object({
  test: z.array(z.string()),
  intervalMs: z.number(),
  timeoutMs: z.number(),
  retries: z.number(),
  startPeriodMs: z.number(),
  disabled: z.boolean(),
});

const entry = z.object({
  image: z.string(),
  platform: z.string(),
  digest: z.string().optional(),
  config: z.string(),
  from: z.enum(['registry', 'engine']),
  user: z.string(),
  ports: z.array(z.number().int()),
  udpPorts: z.array(z.number().int()).default([]),
  healthcheck: healthcheck.optional(),
  entrypoint: z.array(z.string()).optional(),
  cmd: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z.array(z.string()).default([]),
  architecture: z.string(),
  os: z.string(),
});

const lockSchema = z.object({
  lockVersion: z.literal(LOCK_VERSION),
  images: z.array(entry).default([]),
});

export interface ImageLock {
  /** Absolute path of the lock file. */
  file: string;
  images: ImageFacts[];
}

export function lockPath(projectDir: string): string {
  return join(projectDir, LOCK_FILE);
}

/** The lock next to the compose file, or an empty one when there is none. */
export function readLock(projectDir: string): ImageLock {
  const file = lockPath(projectDir);
  if (!existsSync(file)) return { file, images: [] };
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw badLock(file, (e as Error).message);
  }
  const parsed = lockSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw badLock(file, `${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  return { file, images: parsed.data.images.map(normalizeEntry) };
}

function badLock(file: string, why: string): ShipshapeError {
  return new ShipshapeError(`${LOCK_FILE} cannot be read: ${why}`, {
    location: { file, line: 1, column: 1 },
    hint: `it is written by shipshape: restore it from version control, or delete it and run \`shipshape config --update-lock\``,
  });
}

/** The entry for an image on a platform, when the lock has it. */
export function lockedFacts(lock: ImageLock, image: string, platform: string): ImageFacts | undefined {
  return lock.images.find((e) => e.image === image && e.platform === platform);
}

/** `entries` with `facts` added or replacing the entry of the same image and platform. */
export function withEntry(entries: readonly ImageFacts[], facts: ImageFacts): ImageFacts[] {
  return [...entries.filter((e) => e.image !== facts.image || e.platform !== facts.platform), facts];
}

/** The lock file's text: a header saying what it is, then the entries in a fixed order. */
export function serializeLock(entries: readonly ImageFacts[]): string {
  const images = [...entries].sort(compareEntries).map(normalizeEntry);
  const header = [
    '# shipshape.lock: the images shipshape read, pinned by digest, with what their config says.',
    '# Written by `shipshape config --update-lock` (and by check, slim and deploy for images not yet',
    '# here); synth and deploy run exactly these digests. Commit it; do not edit it by hand.',
  ].join('\n');
  return `${header}\n${stringify({ lockVersion: LOCK_VERSION, images }, { lineWidth: 0 })}`;
}

function compareEntries(a: ImageFacts, b: ImageFacts): number {
  return a.image.localeCompare(b.image) || a.platform.localeCompare(b.platform);
}

/** Keys in one order, optional keys only when set, ports sorted: the same facts give the same text. */
function normalizeEntry(e: ImageFacts): ImageFacts {
  const sorted = (ports: number[]) => [...new Set(ports)].sort((x, y) => x - y);
  return {
    image: e.image,
    platform: e.platform,
    ...(e.digest !== undefined ? { digest: e.digest } : {}),
    config: e.config,
    from: e.from,
    user: e.user,
    ports: sorted(e.ports),
    udpPorts: sorted(e.udpPorts),
    ...(e.healthcheck ? { healthcheck: e.healthcheck } : {}),
    ...(e.entrypoint ? { entrypoint: e.entrypoint } : {}),
    ...(e.cmd ? { cmd: e.cmd } : {}),
    ...(e.workingDir ? { workingDir: e.workingDir } : {}),
    env: e.env,
    architecture: e.architecture,
    os: e.os,
  };
}

/** What changed between two entries of the same image, one phrase each (`digest sha256:1… → sha256:2…`). */
export function describeChange(before: ImageFacts, after: ImageFacts): string[] {
  const out: string[] = [];
  const short = (d: string | undefined) => (d ? `${d.slice(0, 19)}…` : 'none');
  if (before.digest !== after.digest) out.push(`digest ${short(before.digest)} → ${short(after.digest)}`);
  if (before.user !== after.user)
    out.push(`user ${JSON.stringify(before.user)} → ${JSON.stringify(after.user)}`);
  const ports = (e: ImageFacts) => [...e.ports, ...e.udpPorts.map((p) => `${p}/udp`)].join(', ') || 'none';
  if (ports(before) !== ports(after)) out.push(`ports ${ports(before)} → ${ports(after)}`);
  if (JSON.stringify(before.healthcheck?.test) !== JSON.stringify(after.healthcheck?.test))
    out.push('healthcheck changed');
  if (before.architecture !== after.architecture)
    out.push(`architecture ${before.architecture} → ${after.architecture}`);
  if (out.length === 0 && before.config !== after.config)
    out.push(`config ${short(before.config)} → ${short(after.config)}`);
  return out;
}
