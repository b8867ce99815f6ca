/**
 * A job in the synthesized template: a task definition without an ECS service, marked with where
 * deploy runs it; the services that wait for it held at zero tasks until deploy says it ran.
 */
import { assertCloudReady } from '../../../src/model/gate.js';
import { resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ComposeApp } from '../../../src/infra/compose-app.js';
import { resolveProfile } from '../../../src/infra/profile.js';
import { loadApp } from '../../../src/model/load.js';
import { composeDir } from '../../support/compose-dir.js';

const parity = loadApp([resolve(import.meta.dirname, '../../fixtures/local/parity/compose.yaml')], {
  env: {},
});

describe('jobs in the template', () => {
  const stack = new Stack(new App(), 'Jobs', { env: { region: 'us-east-1' } });
  const composeApp = new ComposeApp(stack, 'App', { app: assertCloudReady(parity) });
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<
      string,
      { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }
    >;
    Parameters: Record<string, { Default?: string; AllowedValues?: string[] }>;
  };
  const of = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);

  it('the migration is a task definition without an ECS service, marked with where it runs', () => {
    expect(parity.services.find((s) => s.name === 'migrate')!.intent.placement).toBe('job');
    const services = of('AWS::ECS::Service');
    expect(services.map(([, r]) => r.Properties.ServiceName)).toEqual(['web']);
    const [, task] = of('AWS::ECS::TaskDefinition').find(([, r]) => r.Metadata?.['shipshape:job'])!;
    expect(task.Metadata!['shipshape:job']).toMatchObject({
      service: 'migrate',
      cluster: { Ref: expect.stringMatching(/Cluster/) },
      subnets: [expect.objectContaining({ Ref: expect.stringMatching(/privateSubnet/) }), expect.anything()],
      securityGroups: [{ 'Fn::GetAtt': [expect.stringMatching(/migrateSecurityGroup/), 'GroupId'] }],
      waitedOnBy: ['web'],
    });
  });

  it('the web runs no task until deploy sets JobsDone=yes (the default, for stacks deployed otherwise)', () => {
    expect(template.Parameters.JobsDone).toMatchObject({ Default: 'yes', AllowedValues: ['yes', 'no'] });
    const [, web] = of('AWS::ECS::Service')[0]!;
    expect(web.Properties.DesiredCount).toEqual({ 'Fn::If': ['JobsDoneCondition', 1, 0] });
    expect(composeApp.jobGates).toEqual([{ stackName: 'Jobs', parameter: 'JobsDone' }]);
  });
});

describe('the profile and the job gate, both aspects', () => {
  it('a production count is raised first, then held at zero until the job ran; every log group encrypted', () => {
    const stack = new Stack(new App(), 'Prod', { env: { region: 'us-east-1' } });
    const app = loadApp([], {
      cwd: composeDir({
        'compose.yaml': `services:
  web:
    image: example/web:1
    user: "1000"
    ports: ["8080:8080"]
    depends_on:
      migrate: { condition: service_completed_successfully }
  migrate:
    image: example/web:1
    user: "1000"
    command: ["migrate"]
`,
      }),
      env: {},
    });
    const profile = { ...resolveProfile(app), minEntryTasks: 2, kmsLogs: true };
    new ComposeApp(stack, 'App', { app: assertCloudReady(app), profile });
    const resources = Object.values(Template.fromStack(stack).toJSON().Resources) as {
      Type: string;
      Properties: Record<string, unknown>;
    }[];
    const [web] = resources.filter((r) => r.Type === 'AWS::ECS::Service');
    expect(web!.Properties.DesiredCount).toEqual({ 'Fn::If': ['JobsDoneCondition', 2, 0] });
    const groups = resources.filter((r) => r.Type === 'AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(1);
    for (const g of groups) expect(g.Properties.KmsKeyId).toBeDefined();
  });
});
