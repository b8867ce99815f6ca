/** Which CLI bundle cache the launcher may use (src/cli/code-cache.ts, freshCodeCache). */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshCodeCache } from '../../../src/cli/code-cache.js';

const dir = mkdtempSync(join(tmpdir(), 'shipshape-code-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bundle = join(dir, 'bundle.cjs');
const cache = join(dir, 'bundle.v8cache');
const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);

describe('freshCodeCache', () => {
  it('uses a cache made after the bundle, not one the bundle has changed since', () => {
    writeFileSync(bundle, 'module.exports = 1;');
    writeFileSync(cache, 'cached');
    at(bundle, 1_000);
    at(cache, 2_000);
    expect(freshCodeCache(bundle, cache)?.toString()).toBe('cached');
    at(bundle, 3_000); // rewritten after the cache was made
    expect(freshCodeCache(bundle, cache)).toBeUndefined();
  });

  it('no cache file: none', () => {
    expect(freshCodeCache(bundle, join(dir, 'missing.v8cache'))).toBeUndefined();
  });
});
