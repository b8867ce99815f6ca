/**
 * `shipshape synth` into an existing VPC (`x-shipshape.aws.vpc`, in a compose override file as a
 * user would add it), through the shipped bin: the templates create no network, place the tasks,
 * load balancer and databases in the given subnets, and pass cfn-lint (no error) and, for prod,
 * checkov (no failed check). An offline check that fails exits 2 at the file and line.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkov, expectSkipsDocumented } from '../support/checkov.js';
import { shipshape } from '../support/cli.js';

const root = resolve(import.meta.dirname, '../..');
const CFN_LINT = process.env.CFN_LINT ?? '/opt/shipshape-venv/bin/cfn-lint';
const tmp = mkdtempSync(join(tmpdir(), 'shipshape-vpc-it-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PUBLIC = ['subnet-0a000000000000001', 'subnet-0a000000000000002'];
const PRIVATE = ['subnet-0b000000000000001', 'subnet-0b000000000000002'];
const ISOLATED = ['subnet-0c000000000000001', 'subnet-0c000000000000002'];
const NETWORK =
  /^AWS::EC2::(VPC|Subnet|NatGateway|InternetGateway|VPCGatewayAttachment|RouteTable|Route|EIP|VPCEndpoint|FlowLog)$/;

function cfnLintErrors(files: string[]): string[] {
  const r = spawnSync(CFN_LINT, ['--format', 'parseable', '--', ...files], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.error) throw r.error;
  return r.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l));
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
type SynthJson = { stacks: { name: string; templateFile: string; yamlFile: string }[] };

function project(fixture: string, vpc: string): string {
  const dir = join(tmp, fixture.replace(/\W+/g, '-'));
  cpSync(join(root, fixture), dir, { recursive: true });
  writeFileSync(join(dir, 'vpc.yaml'), vpc);
  return dir;
}

function resources(file: string) {
  return Object.values((JSON.parse(readFileSync(file, 'utf8')) as Template).Resources);
}

describe('synth into an existing VPC', () => {
  it('web-api: no network resources, tasks in the private subnets, the ALB in the public ones, cfn-lint clean', () => {
    const dir = project(
      'examples/web-api',
      `x-shipshape:\n  aws:\n    vpc:\n      id: vpc-0123456789abcdef0\n      public-subnets: [${PUBLIC}]\n      private-subnets: [${PRIVATE}]\n`,
    );
    const r = shipshape(['-f', 'compose.yaml', '-f', 'vpc.yaml', 'synth', '-o', 'out', '--json'], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'synth: network: the existing VPC vpc-0123456789abcdef0 (x-shipshape.aws.vpc)',
    );
    expect(r.stderr).toContain('synth: tasks: in the 2 subnets of private-subnets');
    const synth = JSON.parse(r.stdout) as SynthJson;
    const app = resources(synth.stacks.find((s) => s.name === 'web-api-dev')!.templateFile);
    expect(app.filter((x) => NETWORK.test(x.Type)).map((x) => x.Type)).toEqual([]);
    const services = app.filter((x) => x.Type === 'AWS::ECS::Service');
    expect(services).toHaveLength(2);
    for (const s of services)
      expect(JSON.stringify(s.Properties!.NetworkConfiguration)).toContain(JSON.stringify(PRIVATE));
    const alb = app.find((x) => x.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer')!;
    expect(alb.Properties!.Subnets).toEqual(PUBLIC);
    expect(cfnLintErrors(synth.stacks.map((s) => s.yamlFile))).toEqual([]);
  });

  it('backing, prod: databases in the isolated subnets; cfn-lint clean and checkov with no failed check', () => {
    const dir = project(
      'test/fixtures/infra/backing',
      `x-shipshape:\n  environments:\n    prod:\n      aws:\n        vpc:\n          id: vpc-0123456789abcdef0\n          public-subnets: [${PUBLIC}]\n          private-subnets: [${PRIVATE}]\n          isolated-subnets: [${ISOLATED}]\n          availability-zones: [eu-west-1a, eu-west-1b]\n`,
    );
    const r = shipshape(
      [
        '-f',
        'compose.yaml',
        '-f',
        'prod.yaml',
        '-f',
        'vpc.yaml',
        'synth',
        '--env',
        'prod',
        '-o',
        'out',
        '--json',
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'synth: databases (db, cache, docs, memo): in the 2 subnets of isolated-subnets',
    );
    const synth = JSON.parse(r.stdout) as SynthJson;
    const all = synth.stacks.flatMap((s) => resources(s.templateFile));
    expect(all.filter((x) => NETWORK.test(x.Type))).toEqual([]);
    const subnetGroups = all.filter((x) => /DBSubnetGroup|ElastiCache::SubnetGroup/.test(x.Type));
    expect(subnetGroups.length).toBe(4);
    for (const g of subnetGroups) expect(g.Properties!.SubnetIds).toEqual(ISOLATED);
    expect(cfnLintErrors(synth.stacks.map((s) => s.yamlFile))).toEqual([]);
    const result = checkov(synth.stacks.map((s) => s.yamlFile));
    expect(result.results.failed_checks).toEqual([]);
    expectSkipsDocumented(result);
  });

  it('a public app in a VPC without public subnets: exit 2 at the file and line, nothing written', () => {
    const dir = project(
      'examples/web-api',
      `x-shipshape:\n  aws:\n    vpc:\n      id: vpc-0123456789abcdef0\n      private-subnets: [${PRIVATE}]\n`,
    );
    const r = shipshape(['-f', 'compose.yaml', '-f', 'vpc.yaml', 'synth', '-o', 'refused'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /vpc\.yaml:4:\d+: error: x-shipshape\.aws\.vpc\.public-subnets: web is reachable from the internet/,
    );
    expect(r.stderr).toMatch(/hint: add public-subnets/);
    expect(existsSync(join(dir, 'refused'))).toBe(false);
  });

  it('a malformed subnet id: exit 2 at its line, also for config', () => {
    const dir = project(
      'examples/web-api',
      `x-shipshape:\n  aws:\n    vpc:\n      id: vpc-0123456789abcdef0\n      private-subnets:\n        - ${PRIVATE[0]}\n        - subnet-XYZ\n`,
    );
    const r = shipshape(['-f', 'compose.yaml', '-f', 'vpc.yaml', 'config'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /vpc\.yaml:7:\d+: error: x-shipshape\.aws\.vpc\.private-subnets\[1\]: a subnet id such as subnet-0123456789abcdef0/,
    );
  });
});
