/** Rollback finds each recorded image in its registry by tag, or by digest (what tasks run). */
import { describe, expect, it } from 'vitest';
import { parseReference } from '../../../src/cloud/rollback.js';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('parseReference', () => {
  it.each([
    [
      '127.0.0.1:5000/shop-dev/api:sha-1234',
      { host: '127.0.0.1:5000', repository: 'shop-dev/api', tag: 'sha-1234' },
    ],
    [
      `127.0.0.1:5000/shop-dev/api@${digest}`,
      { host: '127.0.0.1:5000', repository: 'shop-dev/api', tag: digest },
    ],
    [
      `123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-dev/shipshape/shipshape-init@${digest}`,
      {
        host: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
        repository: 'shop-dev/shipshape/shipshape-init',
        tag: digest,
      },
    ],
  ])('%s', (reference, parts) => expect(parseReference(reference)).toEqual(parts));

  it('a reference without a registry host is not one of ours', () => {
    expect(parseReference('nginx:1.27')).toBeUndefined();
  });
});
