/**
 * The order a deploy with jobs follows (src/deploy/jobs.ts), as pure logic: the stack deploys,
 * the job runs and the parameters each deploy gets, with the cloud side recorded. The ECS calls
 * themselves (RunTask, discovery) are covered against moto in test/integration/day2.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { deployWithJobs, type JobCloud, type JobDeploy } from '../../../src/deploy/jobs.js';
import { loadApp } from '../../../src/model/load.js';
import type { CloudJob } from '../../../src/aws/environment.js';
import type { OneOffTaskResult } from '../../../src/aws/one-off-task.js';
import { composeDir } from '../../support/compose-dir.js';

const app = loadApp([], {
  cwd: composeDir({
    'compose.yaml': `name: shop
services:
  web:
    image: example/web:1
    user: '1000'
    ports: ['8080:8080']
    depends_on:
      migrate: { condition: service_completed_successfully }
  migrate:
    image: example/web:1
    user: '1000'
    command: ['./migrate']
`,
  }),
  env: {},
});

const job = (revision: number): CloudJob => ({
  name: 'migrate',
  stack: 'shop-dev',
  taskDefinition: `arn:aws:ecs:us-east-1:1:task-definition/shop-migrate:${revision}`,
  cluster: 'shop',
  network: { subnets: ['subnet-1'], securityGroups: ['sg-1'] },
  waitedOnBy: ['web'],
});

const exited = (code: number): OneOffTaskResult => ({
  taskArn: 'arn:task/1',
  taskId: '1',
  cluster: 'shop',
  container: 'migrate',
  outcome: 'exited',
  exitCode: code,
  containers: [],
  lastLogLines: code === 0 ? [] : ['relation "users" already exists'],
  durationMs: 1000,
});

/** A deploy against a recorded cloud: what happened, in order. */
function scenario(options: {
  exists: boolean;
  deployed?: { revisionBefore: number; revisionAfter: number; webTag: string };
  exitCode?: number;
}) {
  const events: string[] = [];
  let revision = options.deployed?.revisionBefore;
  const cloud: JobCloud = {
    deployedJobs: async () => (revision === undefined ? [] : [job(revision)]),
    run: async (j) => {
      events.push(`run ${j.name} ${j.taskDefinition.split(':').pop()} in ${j.network.subnets[0]}`);
      return exited(options.exitCode ?? 0);
    },
  };
  const d: JobDeploy = {
    app,
    region: 'us-east-1',
    stacks: ['shop-dev'],
    gates: [{ stackName: 'shop-dev', parameter: 'JobsDone' }],
    dependentImages: new Set(['shop-dev:ImageTagWeb']),
    parameters: { 'shop-dev:ImageTagWeb': 'sha-new' },
    deploy: async (p) => {
      events.push(`deploy ${JSON.stringify(p)}`);
      revision = options.deployed?.revisionAfter ?? 1;
    },
    deployedParameters: async (): Promise<Record<string, string>> =>
      options.deployed ? { ImageTagWeb: options.deployed.webTag } : {},
    stackStatus: async () => (options.exists ? 'UPDATE_COMPLETE' : undefined),
    timeoutMs: 60_000,
    progress: () => undefined,
    cloud,
  };
  return { d, events };
}

describe('deploy with a job the web waits for', () => {
  it('first deploy: the web held at zero tasks, the job run, then the web released', async () => {
    const { d, events } = scenario({ exists: false });
    await deployWithJobs(d);
    expect(events).toEqual([
      'deploy {"shop-dev:ImageTagWeb":"sha-new","shop-dev:JobsDone":"no"}',
      'run migrate 1 in subnet-1',
      'deploy {"shop-dev:ImageTagWeb":"sha-new","shop-dev:JobsDone":"yes"}',
    ]);
  });

  it('update with a new web image: the web keeps its image until the changed job has run', async () => {
    const { d, events } = scenario({
      exists: true,
      deployed: { revisionBefore: 3, revisionAfter: 4, webTag: 'sha-old' },
    });
    await deployWithJobs(d);
    expect(events).toEqual([
      'deploy {"shop-dev:ImageTagWeb":"sha-old","shop-dev:JobsDone":"yes"}',
      'run migrate 4 in subnet-1',
      'deploy {"shop-dev:ImageTagWeb":"sha-new","shop-dev:JobsDone":"yes"}',
    ]);
  });

  it('a job whose task definition did not change is not run again; one deploy', async () => {
    const { d, events } = scenario({
      exists: true,
      deployed: { revisionBefore: 4, revisionAfter: 4, webTag: 'sha-new' },
    });
    await deployWithJobs(d);
    expect(events).toEqual(['deploy {"shop-dev:ImageTagWeb":"sha-new","shop-dev:JobsDone":"yes"}']);
  });

  it('a failing job stops the deploy: the web is not released, the error has the job log', async () => {
    const { d, events } = scenario({ exists: false, exitCode: 3 });
    const error = (await deployWithJobs(d).catch((e: unknown) => e)) as {
      message: string;
      exitCode: number;
      more?: { message: string }[];
    };
    expect(error.message).toBe(
      'job migrate exited with code 3; the services that wait for it were not updated',
    );
    expect(error.exitCode).toBe(1);
    expect(error.more?.[0]?.message).toMatch(/relation "users" already exists/);
    expect(events).toEqual([
      'deploy {"shop-dev:ImageTagWeb":"sha-new","shop-dev:JobsDone":"no"}',
      'run migrate 1 in subnet-1',
    ]);
  });
});
