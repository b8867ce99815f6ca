import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Image config blobs by digest under the user's cache directory (`$XDG_CACHE_HOME/shipshape`, else
 * `~/.cache/shipshape`): a digest names its content for ever, so a cached blob is never stale and
 * an unchanged image costs one manifest request. A file whose content does not match its name is
 * ignored (and replaced on the next read).
 */

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'shipshape');
}

function blobPath(dir: string, digest: string): string | undefined {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  return m ? join(dir, 'blobs', 'sha256', m[1]!) : undefined;
}

export function cachedBlob(dir: string, digest: string): Buffer | undefined {
  const file = blobPath(dir, digest);
  if (!file) return undefined;
  try {
    const body = readFileSync(file);
    return `sha256:${createHash('sha256').update(body).digest('hex')}` === digest ? body : undefined;
  } catch {
    return undefined;
  }
}

/** Store a verified blob; a cache that cannot be written only costs a download next time. */
export function storeBlob(dir: string, digest: string, body: Buffer): void {
  const file = blobPath(dir, digest);
  if (!file) return;
  try {
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, body);
    renameSync(temp, file);
  } catch {
    // read-only home, full disk: the facts are still right, only not cached
  }
}
