import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeChange, readLock, serializeLock, withEntry } from '../../../src/model/image-lock.js';
import { ShipshapeError } from '../../../src/model/errors.js';
import type { ImageFacts } from '../../../src/model/types.js';

export const facts = (over: Partial<ImageFacts> = {}): ImageFacts => ({
  image: 'redis:7',
  platform: 'linux/amd64',
  digest: `sha256:${'a'.repeat(64)}`,
  config: `sha256:${'c'.repeat(64)}`,
  from: 'registry',
  user: '999',
  ports: [6379],
  udpPorts: [],
  env: ['PATH=/bin'],
  architecture: 'amd64',
  os: 'linux',
  ...over,
});

describe('shipshape.lock', () => {
  it('is deterministic: the same entries in any order give the same text, and it reads back', () => {
    const a = facts();
    const b = facts({ image: 'nginx:1.27', ports: [443, 80, 80] });
    const c = facts({ platform: 'linux/arm64', architecture: 'arm64' });
    const text = serializeLock([c, a, b]);
    expect(serializeLock([b, c, a])).toBe(text);
    expect(text).toMatch(/^# shipshape\.lock: /);
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    writeFileSync(join(dir, 'shipshape.lock'), text);
    const read = readLock(dir).images;
    expect(read.map((e) => [e.image, e.platform])).toEqual([
      ['nginx:1.27', 'linux/amd64'],
      ['redis:7', 'linux/amd64'],
      ['redis:7', 'linux/arm64'],
    ]);
    expect(read[0]!.ports).toEqual([80, 443]);
    expect(withEntry(read, facts({ user: '1000' })).filter((e) => e.image === 'redis:7')).toHaveLength(2);
  });

  it('is empty when absent, and a damaged one is a located error with the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    expect(readLock(dir).images).toEqual([]);
    writeFileSync(join(dir, 'shipshape.lock'), 'lockVersion: 1\nimages:\n  - image: redis:7\n');
    const e = (() => {
      try {
        readLock(dir);
      } catch (err) {
        return err as ShipshapeError;
      }
    })();
    expect(e).toBeInstanceOf(ShipshapeError);
    expect(e!.message).toMatch(/^shipshape\.lock cannot be read: images\.0\.platform/);
    expect(e!.hint).toMatch(/--update-lock/);
  });

  it('says what changed when a tag moves', () => {
    expect(
      describeChange(facts(), facts({ digest: `sha256:${'b'.repeat(64)}`, user: '', ports: [6379, 6380] })),
    ).toEqual([
      `digest sha256:aaaaaaaaaaaa… → sha256:bbbbbbbbbbbb…`,
      'user "999" → ""',
      'ports 6379 → 6379, 6380',
    ]);
    expect(describeChange(facts(), facts())).toEqual([]);
  });
});
