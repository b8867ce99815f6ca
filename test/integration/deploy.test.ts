/**
 * `shipshape deploy / diff / destroy` driven as a user runs them (real processes) against moto in
 * server mode, with images built on the real Docker engine and pushed to the real local registry
 * (127.0.0.1:5000). What moto really does is asserted, read back through the service APIs (EC2
 * ingress pairs, ELBv2 listeners and target groups, ECS task definitions), never just a stack
 * status. What moto cannot follow is said where it matters (see docs/deploy.md):
 * - moto has no AWS::ServiceDiscovery::HttpNamespace: the test creates the namespace through the
 *   Cloud Map API and the app uses it with `x-shipshape.aws.cloud-map-namespace` (an option real
 *   users have for a shared namespace), in a compose override file, as a user would;
 * - ECS services never start tasks in moto; MOTO_ECS_SERVICE_RUNNING=1 makes them read back as
 *   running, so the steady-state wait is exercised against the API, not real tasks;
 * - egress rules and updates are not faithful in moto: egress is covered by unit tests on the
 *   templates, and `diff` is asserted only against the deployed template (no second deploy);
 * - moto's DeleteStack removes the stack record but leaves the VPC and friends: destroy asserts
 *   the record is gone, nothing more.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeSecurityGroupsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateHttpNamespaceCommand,
  GetOperationCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shipshape as runShipshape } from '../support/cli.js';
import { startMoto, type Moto } from '../support/moto.js';

const root = resolve(import.meta.dirname, '../..');
const REGISTRY = process.env.SHIPSHAPE_REGISTRY_HOST ?? '127.0.0.1:5000';
const STACK = 'web-api-dev';
let moto: Moto;
let dir: string;
let aws: { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };

/** The shipped CLI (package.json's bin) in the project copy, against moto by default. */
const shipshape = (args: string[], env: Record<string, string> = moto.env) =>
  runShipshape(args, { cwd: dir, env });

const files = () => ['-f', join(dir, 'compose.yaml'), '-f', join(dir, 'compose.moto.yaml')];

async function createNamespace(): Promise<string> {
  const sd = new ServiceDiscoveryClient(aws);
  const op = await sd.send(new CreateHttpNamespaceCommand({ Name: 'web-api.internal' }));
  const res = await sd.send(new GetOperationCommand({ OperationId: op.OperationId! }));
  return `arn:aws:servicediscovery:us-east-1:123456789012:namespace/${res.Operation!.Targets!.NAMESPACE!}`;
}

type Resources = { logicalId: string; type: string; physicalId: string }[];
async function physicalIds(): Promise<Resources> {
  const cfn = new CloudFormationClient(aws);
  const res = await cfn.send(new ListStackResourcesCommand({ StackName: STACK }));
  return (res.StackResourceSummaries ?? []).map((r) => ({
    logicalId: r.LogicalResourceId!,
    type: r.ResourceType!,
    physicalId: r.PhysicalResourceId!,
  }));
}

/** The physical id of the one resource of `type` whose logical id starts with `prefix`. */
function byPrefix(ids: Resources, type: string, prefix: string): string {
  const found = ids.filter((r) => r.type === type && r.logicalId.startsWith(prefix));
  expect(found, `${type} ${prefix}*`).toHaveLength(1);
  return found[0]!.physicalId;
}

beforeAll(async () => {
  // Services read back as running (moto starts no tasks): the steady-state wait is then decided
  // by the ECS API's counts and rollout state, as with real ECS.
  moto = await startMoto({ MOTO_ECS_SERVICE_RUNNING: '1' });
  aws = {
    region: 'us-east-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  dir = mkdtempSync(join(tmpdir(), 'shipshape-deploy-it-'));
  cpSync(join(root, 'examples/web-api'), dir, { recursive: true });
  writeFileSync(
    join(dir, 'compose.moto.yaml'),
    `x-shipshape:\n  aws:\n    cloud-map-namespace: ${await createNamespace()}\n`,
  );
});

afterAll(async () => {
  await moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface DeployJson {
  images: {
    service: string;
    repositoryName: string;
    imageId: string;
    reference: string;
    digest: string;
    tag: string;
    pushed: boolean;
  }[];
  urls: string[];
  services: { name: string; running: number; desired: number }[];
  stacks: { name: string; status?: string }[];
  durationMs: number;
}

describe('shipshape deploy examples/web-api to moto', () => {
  let report: DeployJson;

  it('bootstraps, builds, pushes to the local registry, deploys and waits for steady services', () => {
    const r = shipshape([...files(), 'deploy', '--registry', REGISTRY, '--yes', '--json', '--timeout', '30']);
    expect(r.code, r.stderr).toBe(0);
    report = JSON.parse(r.stdout) as DeployJson;
    process.stderr.write(
      `deploy to moto took ${(r.ms / 1000).toFixed(1)} s (report: ${(report.durationMs / 1000).toFixed(1)} s)\n`,
    );
    expect(r.stderr).toMatch(/bootstrapping aws:\/\/123456789012\/us-east-1/);
    expect(report.stacks).toEqual([{ name: STACK, status: 'CREATE_COMPLETE' }]);
    expect(report.services.map((s) => `${s.name} ${s.running}/${s.desired}`).sort()).toEqual([
      'api 1/1',
      'web 1/1',
    ]);
    expect(report.urls).toHaveLength(1);
    expect(report.urls[0]).toMatch(/^http:\/\/\S+/);
    // The record `shipshape report` shows as the last deployment.
    const record = JSON.parse(readFileSync(join(dir, '.shipshape/deploy/dev.json'), 'utf8')) as unknown;
    expect(record).toMatchObject({
      environment: 'dev',
      status: 'DEPLOYED',
      region: 'us-east-1',
      stacks: [{ name: STACK, status: 'CREATE_COMPLETE' }],
      outputs: { url: report.urls[0] },
    });
  });

  it('pushed each image under a content-derived tag; pulling the digest back gives the built image', async () => {
    const docker = new Docker();
    // The two services' images, and the task init container's (copied into the app's registry).
    expect(report.images.map((i) => i.service).sort()).toEqual(['api', 'shipshape-init', 'web']);
    for (const image of report.images) {
      expect(image.tag).toBe(`sha-${image.imageId.replace('sha256:', '').slice(0, 20)}`);
      expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      // What the tasks run: the repository pinned by the digest the registry reported.
      const byDigest = `${REGISTRY}/${image.repositoryName}@${image.digest}`;
      expect(image.reference).toBe(byDigest);
      const stream = await docker.pull(byDigest);
      await new Promise((res, rej) =>
        docker.modem.followProgress(stream, (e) => (e ? rej(e) : res(undefined))),
      );
      expect((await docker.getImage(byDigest).inspect()).Id).toBe(image.imageId);
      await docker
        .getImage(byDigest)
        .remove({ noprune: true })
        .catch(() => undefined);
    }
  });

  it("the api's group admits only the web's group on 5000 (EC2)", async () => {
    const ids = await physicalIds();
    const api = byPrefix(ids, 'AWS::EC2::SecurityGroup', 'AppapiSecurityGroup');
    const web = byPrefix(ids, 'AWS::EC2::SecurityGroup', 'AppwebSecurityGroup');
    const lb = byPrefix(ids, 'AWS::EC2::SecurityGroup', 'AppPublicLoadBalancerSecurityGroup');
    const ec2 = new EC2Client(aws);
    const groups = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [api, web, lb] })))
      .SecurityGroups!;
    const ingress = (id: string) =>
      groups
        .find((g) => g.GroupId === id)!
        .IpPermissions!.flatMap((p) => [
          ...(p.UserIdGroupPairs ?? []).map((g) => `${p.IpProtocol} ${p.FromPort} from ${g.GroupId}`),
          ...(p.IpRanges ?? []).map((c) => `${p.IpProtocol} ${p.FromPort} from ${c.CidrIp}`),
        ]);
    expect(ingress(api)).toEqual([`tcp 5000 from ${web}`]);
    expect(ingress(web)).toEqual([`tcp 8080 from ${lb}`]);
    expect(ingress(lb)).toEqual(['tcp 80 from 0.0.0.0/0']);
  });

  it('the listener and target group route /* to web on 8080 with its health path (ELBv2)', async () => {
    const ids = await physicalIds();
    const elb = new ElasticLoadBalancingV2Client(aws);
    const lbArn = byPrefix(ids, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AppPublicLoadBalancer');
    const [lb] = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] })))
      .LoadBalancers!;
    expect(lb!.Scheme).toBe('internet-facing');
    expect(report.urls[0]).toBe(`http://${lb!.DNSName}`);
    const listeners = (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lbArn }))).Listeners!;
    expect(listeners.map((l) => `${l.Protocol} ${l.Port}`)).toEqual(['HTTP 80']);
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listeners[0]!.ListenerArn })))
      .Rules!;
    const catchAll = rules.find((r) =>
      r.Conditions?.some((c) => c.Values?.includes('/*') || c.PathPatternConfig?.Values?.includes('/*')),
    );
    const tgArn =
      catchAll!.Actions![0]!.TargetGroupArn ??
      catchAll!.Actions![0]!.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn;
    const [tg] = (await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tgArn!] })))
      .TargetGroups!;
    expect([tg!.Port, tg!.Protocol, tg!.TargetType, tg!.HealthCheckPath]).toEqual([
      8080,
      'HTTP',
      'ip',
      '/healthz',
    ]);
  });

  it('task definitions run the pushed images by digest, with the compose environment (ECS)', async () => {
    const ecs = new ECSClient(aws);
    const ids = await physicalIds();
    const init = report.images.find((i) => i.service === 'shipshape-init')!;
    for (const image of report.images.filter((i) => i !== init)) {
      const serviceArn = byPrefix(ids, 'AWS::ECS::Service', `App${image.service}Service`);
      const cluster = serviceArn.split('/').slice(-2)[0];
      const [svc] = (await ecs.send(new DescribeServicesCommand({ cluster, services: [serviceArn] })))
        .services!;
      const def = (
        await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc!.taskDefinition! }))
      ).taskDefinition!;
      const container = def.containerDefinitions!.find((c) => c.name === image.service)!;
      expect(container.image).toBe(image.reference);
      // Its init container (/tmp for the non-root app) runs the copy in the app's registry too.
      expect(def.containerDefinitions!.find((c) => c.name === 'shipshape-init')!.image).toBe(init.reference);
      if (image.service === 'web')
        expect(container.environment).toContainEqual({ name: 'API_URL', value: 'http://api:5000' });
    }
  });

  it('diff: nothing would change right after the deploy (exit 0)', () => {
    const r = shipshape([...files(), 'diff', '--registry', REGISTRY]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('nothing would change');
  });

  it('diff after a compose change shows the change and its security impact first (exit 5)', () => {
    // The api becomes public: the load balancer routes to it and its group admits the LB on 5000.
    const compose = readFileSync(join(dir, 'compose.yaml'), 'utf8').replace(
      '    x-shipshape:\n      health-path: /healthz\n',
      '    environment:\n      GREETING: hello\n    x-shipshape:\n      public: true\n      health-path: /healthz\n',
    );
    writeFileSync(join(dir, 'compose.changed.yaml'), compose);
    const r = shipshape([
      '-f',
      join(dir, 'compose.changed.yaml'),
      '-f',
      join(dir, 'compose.moto.yaml'),
      'diff',
      '--registry',
      REGISTRY,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(5);
    const d = JSON.parse(r.stdout) as {
      security: { kind: string; text: string }[];
      resources: { action: string; type: string; resource: string; properties: string[] }[];
    };
    expect(d.security).toContainEqual(
      expect.objectContaining({
        kind: 'internet-reachable',
        text: expect.stringMatching(/^service api becomes reachable from the internet/),
      }),
    );
    expect(d.security).toContainEqual(
      expect.objectContaining({
        kind: 'opened',
        text: expect.stringMatching(
          /group App\/apiSecurityGroup now admits group App\/PublicLoadBalancer\/SecurityGroup on tcp 5000/,
        ),
      }),
    );
    expect(d.resources).toContainEqual(
      expect.objectContaining({
        action: 'add',
        type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
        resource: 'App/api/TargetGroup',
      }),
    );
    expect(d.resources).toContainEqual(
      expect.objectContaining({
        type: 'AWS::ECS::TaskDefinition',
        resource: 'App/api/Service/Task',
        properties: ['ContainerDefinitions'],
      }),
    );
  });

  it('diff after adding a certificate: the port-80 listener is kept (a new default action), the rule moves, nothing refused', () => {
    writeFileSync(
      join(dir, 'compose.https.yaml'),
      'x-shipshape:\n  aws:\n    certificate-arn: arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555\n',
    );
    const r = shipshape([
      ...files(),
      '-f',
      join(dir, 'compose.https.yaml'),
      'diff',
      '--registry',
      REGISTRY,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(5);
    const d = JSON.parse(r.stdout) as {
      resources: { action: string; type: string; resource: string; properties: string[] }[];
      replacements: { type: string; resource: string; because: string[] }[];
      hazards: { severity: string }[];
    };
    expect(d.hazards).toEqual([]);
    expect(d.resources).toContainEqual(
      expect.objectContaining({
        action: 'update',
        type: 'AWS::ElasticLoadBalancingV2::Listener',
        resource: 'App/PublicLoadBalancer/LoadBalancer/Http',
        properties: ['DefaultActions'],
      }),
    );
    expect(d.replacements.map((x) => `${x.resource} ${x.because.join(',')}`)).toEqual([
      'App/web/ListenerRule ListenerArn',
    ]);
  });

  it('destroy --yes says what is kept and removes the stack record', async () => {
    const r = shipshape([...files(), 'destroy', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Kept/);
    expect(r.stdout).toMatch(/AWS::S3::Bucket .*kept with its objects/);
    expect(r.stdout).toMatch(/AWS::Logs::LogGroup .*logs outlive the app/);
    expect(r.stdout).toContain(`deleted ${STACK}`);
    const cfn = new CloudFormationClient(aws);
    await expect(cfn.send(new DescribeStacksCommand({ StackName: STACK }))).rejects.toThrow(/does not exist/);
  });

  it('deploy again after destroy: what the first one kept is no obstacle, the same images are not pushed again', () => {
    // moto keeps what a real destroy keeps (log groups, the access-log bucket) and more (the VPC):
    // none of it has a name the new stack asks for again (lifecycle.test.ts checks that on the
    // templates of every environment).
    const r = shipshape([...files(), 'deploy', '--registry', REGISTRY, '--yes', '--json', '--timeout', '30']);
    expect(r.code, r.stderr).toBe(0);
    const again = JSON.parse(r.stdout) as DeployJson;
    expect(again.stacks).toEqual([{ name: STACK, status: 'CREATE_COMPLETE' }]);
    expect(again.images.map((i) => i.pushed)).toEqual([false, false, false]);
    expect(again.images.map((i) => i.digest).sort()).toEqual(report.images.map((i) => i.digest).sort());
    const d = shipshape([...files(), 'destroy', '--yes']);
    expect(d.code, d.stderr).toBe(0);
  });
});

describe('shipshape deploy: bad input and missing prerequisites', () => {
  it('refuses what synth refuses, with the same findings (exit 2), before touching AWS', () => {
    const file = join(root, 'test/fixtures/infra/unsafe/compose.yaml');
    const r = shipshape(['-f', file, 'deploy', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot go to the cloud, refusing to deploy/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('says there are no credentials and how to fix it (exit 3)', () => {
    const r = shipshape([...files(), 'deploy', '--yes'], {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_PROFILE: '',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
      AWS_CONFIG_FILE: join(dir, 'no-config'),
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/no AWS credentials found/);
    expect(r.stderr).toMatch(/hint: set AWS_PROFILE/);
  });

  it('a region without the CDK bootstrap: no terminal, no --yes, so it stops with the fix (exit 3)', async () => {
    await moto.reset(); // a fresh account: no CDKToolkit stack
    const r = shipshape([...files(), 'deploy', '--registry', REGISTRY]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/aws:\/\/123456789012\/us-east-1 is not bootstrapped for CDK deployments/);
    expect(r.stderr).toMatch(/hint: run the deploy again with --yes to bootstrap it, or: npx cdk bootstrap/);
  });

  it('a registry that does not answer: exit 3 with the check to run, no stack created, no tag left', async () => {
    const r = shipshape([...files(), 'deploy', '--registry', '127.0.0.1:9', '--yes']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/cannot reach the registry 127\.0\.0\.1:9/);
    expect(r.stderr).toMatch(/hint: .*curl http:\/\/127\.0\.0\.1:9\/v2\//);
    const cfn = new CloudFormationClient(aws);
    await expect(cfn.send(new DescribeStacksCommand({ StackName: STACK }))).rejects.toThrow(/does not exist/);
    const tags = (await new Docker().listImages()).flatMap((i) => i.RepoTags ?? []);
    expect(tags.filter((t) => t.startsWith('127.0.0.1:9/'))).toEqual([]);
  });

  it('an image built for another CPU than its task runs on: exit 2 before anything is pushed or deployed', async () => {
    // This engine builds amd64; the task says arm64 (as an image built on Apple silicon would be
    // the other way round): the task would fail at every start with "exec format error".
    writeFileSync(join(dir, 'compose.arm.yaml'), 'services:\n  api:\n    platform: linux/arm64\n');
    const r = shipshape([
      ...files(),
      '-f',
      join(dir, 'compose.arm.yaml'),
      'deploy',
      '--registry',
      REGISTRY,
      '--yes',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /api: the image is built for amd64, its task runs on arm64 \(compose sets platform: linux\/arm64\)/,
    );
    expect(r.stderr).toMatch(/hint: set `platform: linux\/amd64` on api/);
    const cfn = new CloudFormationClient(aws);
    await expect(cfn.send(new DescribeStacksCommand({ StackName: STACK }))).rejects.toThrow(/does not exist/);
  });
});
