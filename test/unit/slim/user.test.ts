import { describe, expect, it } from 'vitest';
import { resolveRuntimeUser } from '../../../src/slim/user.js';

const passwd = 'root:x:0:0:root:/root:/bin/bash\nnode:x:1000:1000::/home/node:/bin/bash\n';
const group = 'root:x:0:\nnode:x:1000:\nstaff:x:50:\n';

describe('resolveRuntimeUser', () => {
  it('keeps a named non-root user with its primary group, passwd untouched', () => {
    const u = resolveRuntimeUser('node', undefined, passwd, group);
    expect(u).toMatchObject({ uid: 1000, gid: 1000, spec: '1000:1000', origin: 'image' });
    expect(u.passwd).toBeUndefined();
    expect(u.group).toBeUndefined();
  });

  it('resolves a named group', () => {
    expect(resolveRuntimeUser('node:staff', undefined, passwd, group).spec).toBe('1000:50');
  });

  it('maps root (and no user) to 65532:65532 and adds it to passwd and group', () => {
    for (const imageUser of [undefined, '', 'root', '0', '0:0']) {
      const u = resolveRuntimeUser(imageUser, undefined, passwd, group);
      expect(u.spec).toBe('65532:65532');
      expect(u.origin).toBe('mapped-from-root');
      expect(u.passwd).toBe(`${passwd}nonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n`);
      expect(u.group).toBe(`${group}nonroot:x:65532:\n`);
    }
  });

  it('creates passwd and group for an image without them', () => {
    const u = resolveRuntimeUser(undefined, undefined, undefined, undefined);
    expect(u.passwd).toContain('root:x:0:0:');
    expect(u.passwd).toContain('nonroot:x:65532:65532:');
    expect(u.group).toContain('nonroot:x:65532:');
  });

  it('takes --user and refuses root or malformed values', () => {
    expect(resolveRuntimeUser('node', '2000:3000', passwd, group)).toMatchObject({
      spec: '2000:3000',
      origin: 'flag',
    });
    expect(() => resolveRuntimeUser(undefined, '0:0', passwd, group)).toThrow(/never run as root/);
    expect(() => resolveRuntimeUser(undefined, 'bob', passwd, group)).toThrow(/not UID:GID/);
  });

  it('fails on a user name the image does not define', () => {
    expect(() => resolveRuntimeUser('ghost', undefined, passwd, group)).toThrow(/does not define/);
  });
});
