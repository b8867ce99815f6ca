import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lastDeployment, recordDeployment, urlOutputs } from '../../../src/deploy/record.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('the deployment record (written by deploy, read by report)', () => {
  const projectDir = mkdtempSync(join(tmpdir(), 'shipshape-record-'));
  dirs.push(projectDir);
  const app = (environment: string) =>
    ({ projectDir, x: { environment } }) as Parameters<typeof lastDeployment>[0];

  it('reads back what deploy wrote, per environment, the failure with its reason', () => {
    recordDeployment(app('dev'), {
      environment: 'dev',
      status: 'DEPLOYED',
      time: '2026-11-22T10:00:00.000Z',
      region: 'eu-west-1',
      stacks: [{ name: 'shop-dev', status: 'CREATE_COMPLETE' }],
      outputs: urlOutputs(['https://shop.example', 'http://lb.example']),
    });
    recordDeployment(app('prod'), {
      environment: 'prod',
      status: 'FAILED',
      time: '2026-11-22T11:00:00.000Z',
      stacks: [{ name: 'shop-prod', status: 'UPDATE_ROLLBACK_COMPLETE' }],
      outputs: {},
      error: 'api did not reach a steady state',
    });
    expect(lastDeployment(app('dev'))).toMatchObject({
      status: 'DEPLOYED',
      time: '2026-11-22T10:00:00.000Z',
      stacks: [{ name: 'shop-dev', status: 'CREATE_COMPLETE' }],
      outputs: { url: 'https://shop.example', 'url-2': 'http://lb.example' },
    });
    expect(lastDeployment(app('prod'))).toMatchObject({
      status: 'FAILED',
      error: 'api did not reach a steady state',
    });
    expect(lastDeployment(app('staging'))).toBeUndefined();
    // Written atomically: no temporary file stays behind.
    expect(readdirSync(join(projectDir, '.shipshape', 'deploy')).sort()).toEqual(['dev.json', 'prod.json']);
  });
});
