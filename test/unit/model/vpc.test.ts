import { describe, expect, it } from 'vitest';
import { ShipshapeError } from '../../../src/model/errors.js';
import { loadApp } from '../../../src/model/load.js';
import type { ExistingVpc } from '../../../src/model/types.js';
import { placeInExistingVpc } from '../../../src/model/vpc.js';
import { composeDir } from '../../support/compose-dir.js';

const SERVICES = `services:
  web:
    image: nginx:1.27
    ports: ["80:8080"]
`;

const VPC = `      id: vpc-0123456789abcdef0
      public-subnets: [subnet-0a000000000000001, subnet-0a000000000000002]
      private-subnets: [subnet-0b000000000000001, subnet-0b000000000000002]`;

function load(x: string, environment?: string) {
  const dir = composeDir({ 'compose.yaml': `${x}\n${SERVICES}` });
  return loadApp([`${dir}/compose.yaml`], { environment, env: {} });
}

function userError(x: string, environment?: string): ShipshapeError {
  try {
    load(x, environment);
  } catch (e) {
    expect(e).toBeInstanceOf(ShipshapeError);
    return e as ShipshapeError;
  }
  throw new Error('expected a user error');
}

describe('x-shipshape.aws.vpc in the model', () => {
  it('is read with its tiers, and located at its block', () => {
    const vpc = load(`x-shipshape:\n  aws:\n    vpc:\n${VPC}`).x.aws.vpc!;
    expect(vpc).toMatchObject({
      id: 'vpc-0123456789abcdef0',
      publicSubnets: ['subnet-0a000000000000001', 'subnet-0a000000000000002'],
      privateSubnets: ['subnet-0b000000000000001', 'subnet-0b000000000000002'],
      isolatedSubnets: [],
      path: 'x-shipshape.aws.vpc',
    });
    expect(vpc.availabilityZones).toBeUndefined();
    expect(vpc.location).toMatchObject({ line: 4 }); // where the block's value starts
  });

  it('is absent unless written (a new VPC)', () => {
    expect(load('x-shipshape: { name: a }').x.aws.vpc).toBeUndefined();
  });

  it("an environment's own vpc replaces the top-level one, only in that environment", () => {
    const x = `x-shipshape:
  aws:
    vpc:
${VPC}
  environments:
    prod:
      aws:
        vpc:
          id: vpc-0fedcba9876543210
          private-subnets: [subnet-0d000000000000001, subnet-0d000000000000002]`;
    expect(load(x).x.aws.vpc!.id).toBe('vpc-0123456789abcdef0');
    const prod = load(x, 'prod').x.aws.vpc!;
    expect(prod).toMatchObject({
      id: 'vpc-0fedcba9876543210',
      publicSubnets: [],
      path: 'x-shipshape.environments.prod.aws.vpc',
    });
    expect(prod.location.line).toBe(11);
    // An environment without its own block keeps the top-level VPC.
    expect(load(x, 'staging').x.aws.vpc!.id).toBe('vpc-0123456789abcdef0');
  });

  it('refuses a malformed VPC id at its line', () => {
    const e = userError(
      `x-shipshape:\n  aws:\n    vpc:\n      id: my-vpc\n      private-subnets: [subnet-0b000000000000001, subnet-0b000000000000002]`,
    );
    expect(e.exitCode).toBe(2);
    expect(e.path).toBe('x-shipshape.aws.vpc.id');
    expect(e.location).toMatchObject({ line: 4 });
    expect(e.message).toMatch(/vpc-0123456789abcdef0/);
  });

  it('refuses a malformed subnet id at its list item', () => {
    const e = userError(
      `x-shipshape:\n  aws:\n    vpc:\n      id: vpc-0123456789abcdef0\n      private-subnets:\n        - subnet-0b000000000000001\n        - sn-2`,
    );
    expect(e.path).toBe('x-shipshape.aws.vpc.private-subnets[1]');
    expect(e.location).toMatchObject({ line: 7 });
    expect(e.message).toMatch(/subnet id/);
  });

  it('needs private subnets, and at least two in any tier written', () => {
    expect(userError(`x-shipshape:\n  aws:\n    vpc: { id: vpc-0123456789abcdef0 }`).path).toBe(
      'x-shipshape.aws.vpc.private-subnets',
    );
    const one = userError(
      `x-shipshape:\n  aws:\n    vpc:\n${VPC}\n      isolated-subnets: [subnet-0c000000000000001]`,
    );
    expect(one.path).toBe('x-shipshape.aws.vpc.isolated-subnets');
    expect(one.location).toMatchObject({ line: 7 });
    expect(one.message).toMatch(/at least two isolated subnets/);
  });

  it('refuses a subnet listed in two tiers, at the second', () => {
    const e = userError(
      `x-shipshape:\n  aws:\n    vpc:\n${VPC}\n      isolated-subnets: [subnet-0c000000000000001, subnet-0a000000000000002]`,
    );
    expect(e.message).toBe(
      'subnet subnet-0a000000000000002 is listed twice (public-subnets and isolated-subnets)',
    );
    expect(e.path).toBe('x-shipshape.aws.vpc.isolated-subnets[1]');
    expect(e.location).toMatchObject({ line: 7 });
  });

  it('checks the subnets against the availability zones when they are written', () => {
    const three = userError(
      `x-shipshape:\n  aws:\n    vpc:\n${VPC}\n      isolated-subnets: [subnet-0c000000000000001, subnet-0c000000000000002, subnet-0c000000000000003]\n      availability-zones: [eu-west-1a, eu-west-1b]`,
    );
    expect(three.message).toBe('isolated-subnets lists 3 subnets for 2 availability zones');
    expect(three.location).toMatchObject({ line: 7 });
    const same = userError(
      `x-shipshape:\n  aws:\n    vpc:\n${VPC}\n      availability-zones: [eu-west-1a, eu-west-1a]`,
    );
    expect(same.message).toMatch(/at least two different zones/);
    expect(same.path).toBe('x-shipshape.aws.vpc.availability-zones');
    const ok = load(
      `x-shipshape:\n  aws:\n    vpc:\n${VPC}\n      availability-zones: [eu-west-1a, eu-west-1b]`,
    );
    expect(ok.x.aws.vpc!.availabilityZones).toEqual(['eu-west-1a', 'eu-west-1b']);
  });

  it('refuses aws.nat beside aws.vpc, where nat is written', () => {
    const e = userError(
      `x-shipshape:\n  aws:\n    vpc:\n${VPC}\n  environments:\n    prod:\n      aws: { nat: per-az }`,
      'prod',
    );
    expect(e.path).toBe('x-shipshape.environments.prod.aws.nat');
    expect(e.location).toMatchObject({ line: 9 });
    expect(e.hint).toMatch(/remove aws.nat/);
  });
});

describe('placing the app in an existing VPC', () => {
  const vpc = (over: Partial<ExistingVpc> = {}): ExistingVpc => ({
    id: 'vpc-0123456789abcdef0',
    publicSubnets: ['subnet-0a000000000000001', 'subnet-0a000000000000002'],
    privateSubnets: ['subnet-0b000000000000001', 'subnet-0b000000000000002'],
    isolatedSubnets: [],
    path: 'x-shipshape.aws.vpc',
    location: { file: '/p/compose.yaml', line: 3, column: 5 },
    ...over,
  });

  it('databases go to the isolated subnets when given', () => {
    const p = placeInExistingVpc(
      vpc({ isolatedSubnets: ['subnet-0c000000000000001', 'subnet-0c000000000000002'] }),
      {
        publicServices: ['web'],
        networkDatastores: ['db'],
      },
    );
    expect(p.dataTier).toBe('isolated');
    expect(p.reasons).toContain('databases (db): in the 2 subnets of isolated-subnets');
  });

  it('else to the private subnets, and says so', () => {
    const p = placeInExistingVpc(vpc(), { publicServices: [], networkDatastores: ['db', 'cache'] });
    expect(p.dataTier).toBe('private');
    expect(p.reasons.at(-1)).toMatch(
      /^databases \(db, cache\): in the private subnets, because x-shipshape.aws.vpc lists no isolated-subnets/,
    );
  });

  it('no data tier without network datastores', () => {
    expect(
      placeInExistingVpc(vpc(), { publicServices: ['web'], networkDatastores: [] }).dataTier,
    ).toBeUndefined();
  });

  it('refuses an app with a public entry in a VPC without public subnets (exit 2, at the block)', () => {
    let err: unknown;
    try {
      placeInExistingVpc(vpc({ publicSubnets: [] }), { publicServices: ['web'], networkDatastores: [] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShipshapeError);
    const e = err as ShipshapeError;
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(
      /^web is reachable from the internet, and x-shipshape.aws.vpc lists no public-subnets/,
    );
    expect(e.location).toMatchObject({ line: 3 });
    expect(e.hint).toMatch(/internet gateway/);
  });

  it('an internal app needs no public subnets', () => {
    expect(() =>
      placeInExistingVpc(vpc({ publicSubnets: [] }), { publicServices: [], networkDatastores: [] }),
    ).not.toThrow();
  });
});
