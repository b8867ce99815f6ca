import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  needsExports,
  resolveAll,
  resolveValue,
  templateJobs,
  templateServices,
  type ResolveContext,
  type Template,
} from '../../../src/aws/template.js';
import { synthesize, type SynthResult } from '../../../src/infra/synth.js';
import { example, load } from '../infra/helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'shipshape-cloud-template-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const template = (r: SynthResult, stackName: string) =>
  JSON.parse(readFileSync(r.stacks.find((s) => s.name === stackName)!.templateFile, 'utf8')) as Template;

/** Physical ids as CloudFormation would report them: `<type>-<logical id>`. */
const physicalOf = (t: Template) =>
  Object.fromEntries(
    Object.entries(t.Resources ?? {}).map(([id, r]) => [id, `${r.Type.split('::')[2]}-${id}`]),
  );

describe('the deployed template of examples/web-api, read as ps, logs and run read it', () => {
  let single: SynthResult;
  let split: SynthResult;
  beforeAll(async () => {
    const model = load(example('web-api'));
    single = await synthesize(model, { outdir: join(tmp, 'single'), nag: false, verifyTags: false });
    split = await synthesize(model, {
      outdir: join(tmp, 'split'),
      nag: false,
      verifyTags: false,
      split: 'always',
    });
  });

  it('finds each ECS service with its task definition, target groups and network, resolved to physical ids', () => {
    const t = template(single, 'web-api-dev');
    const ctx: ResolveContext = { physical: physicalOf(t), parameters: {}, exports: {}, region: 'us-east-1' };
    const services = templateServices(t);
    expect(services.map((s) => s.serviceName).sort()).toEqual(['api', 'web']);
    const web = services.find((s) => s.serviceName === 'web')!;
    expect(resolveValue(web.cluster, ctx)).toMatch(/^Cluster-AppCluster/);
    expect(web.taskDefinition).toMatch(/^AppwebServiceTask/);
    expect(resolveAll(web.targetGroups, ctx)).toEqual([
      expect.stringMatching(/^TargetGroup-AppwebTargetGroup/),
    ]);
    expect(resolveAll(web.subnets, ctx)).toEqual([
      expect.stringMatching(/^Subnet-AppNetworkVpcprivateSubnet1/),
      expect.stringMatching(/^Subnet-AppNetworkVpcprivateSubnet2/),
    ]);
    expect(resolveAll(web.securityGroups, ctx)).toEqual([
      expect.stringMatching(/^SecurityGroup-AppwebSecurityGroup/),
    ]);
    expect([web.assignPublicIp, web.launchType]).toEqual(['DISABLED', 'FARGATE']);
    const api = services.find((s) => s.serviceName === 'api')!;
    expect(api.targetGroups).toEqual([]);
    expect(templateJobs(t)).toEqual([]);
    expect(needsExports(Object.values(t.Resources ?? {}))).toBe(false);
  });

  it('split stacks import the network and cluster: resolved through the exports', () => {
    const shared = template(split, 'web-api-dev');
    const api = template(split, 'web-api-dev-api');
    expect(needsExports(Object.values(api.Resources ?? {}))).toBe(true);
    // The shared stack's outputs, exported under the names the service stack imports.
    const sharedPhysical = physicalOf(shared);
    const outputs =
      (shared as { Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }> }).Outputs ?? {};
    const exportCtx: ResolveContext = {
      physical: sharedPhysical,
      parameters: {},
      exports: {},
      region: 'us-east-1',
    };
    const exports = Object.fromEntries(
      Object.values(outputs)
        .filter((o) => o.Export)
        .map((o) => [o.Export!.Name, resolveValue(o.Value, exportCtx)!]),
    );
    const ctx: ResolveContext = { physical: physicalOf(api), parameters: {}, exports, region: 'us-east-1' };
    const [svc] = templateServices(api);
    expect(svc!.serviceName).toBe('api');
    expect(resolveValue(svc!.cluster, ctx)).toMatch(/^Cluster-AppCluster/);
    expect(resolveAll(svc!.subnets, ctx)).toHaveLength(2);
    expect(resolveAll(svc!.securityGroups, ctx)).toEqual([
      expect.stringMatching(/^SecurityGroup-AppapiSecurityGroup/),
    ]);
  });

  it('a task definition no service runs is a job, named by its essential container', () => {
    const t = template(single, 'web-api-dev');
    const [apiTask] = Object.entries(t.Resources!).filter(
      ([id]) => id.startsWith('AppapiServiceTask') && !/Role/.test(id),
    );
    const job = structuredClone(apiTask![1]);
    const containers = job.Properties!.ContainerDefinitions as Record<string, unknown>[];
    containers[0]!.Name = 'migrate';
    containers.unshift({ Name: 'shipshape-init', Essential: false });
    const withJob: Template = { Resources: { ...t.Resources, AppmigrateJobTask: job } };
    expect(templateJobs(withJob)).toEqual([
      { logicalId: 'AppmigrateJobTask', name: 'migrate', subnets: [], securityGroups: [], waitedOnBy: [] },
    ]);
  });

  it('what it cannot resolve is undefined, never a guess', () => {
    const ctx: ResolveContext = {
      physical: { A: 'a-1' },
      parameters: { Tag: 'sha-1' },
      exports: { E: 'e-1' },
      region: 'eu-west-1',
    };
    expect(resolveValue({ Ref: 'A' }, ctx)).toBe('a-1');
    expect(resolveValue({ Ref: 'Tag' }, ctx)).toBe('sha-1');
    expect(resolveValue({ Ref: 'AWS::Region' }, ctx)).toBe('eu-west-1');
    expect(resolveValue({ 'Fn::GetAtt': ['A', 'GroupId'] }, ctx)).toBe('a-1');
    expect(resolveValue({ 'Fn::GetAtt': ['A', 'Arn'] }, ctx)).toBeUndefined();
    expect(resolveValue({ 'Fn::ImportValue': 'E' }, ctx)).toBe('e-1');
    expect(resolveValue({ 'Fn::Join': ['/', ['x', { Ref: 'A' }]] }, ctx)).toBe('x/a-1');
    expect(resolveValue({ 'Fn::Join': ['/', ['x', { Ref: 'Missing' }]] }, ctx)).toBeUndefined();
    expect(resolveAll([{ Ref: 'A' }, { Ref: 'Missing' }], ctx)).toBeUndefined();
  });
});
