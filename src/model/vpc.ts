import { ShipshapeError } from './errors.js';
import type { RawAppExtension } from './extension.js';
import type { ExistingVpc, SourceLocation } from './types.js';
import { formatPath, type DocPath } from './yaml-source.js';

/**
 * `x-shipshape.aws.vpc`: deploy into a VPC the user already runs. Two steps, both pure:
 *
 * - `existingVpcOf` (at load, so `config` reports it too): the block the environment uses (its
 *   own `environments.<env>.aws.vpc`, else the top-level one) and the checks that need no AWS and
 *   no app: a subnet listed twice, availability zones that do not divide the tiers, `aws.nat`
 *   written beside it (NAT gateways are the VPC's, not ours).
 * - `placeInExistingVpc` (at synth, once the app's needs are known): which tier each part goes
 *   to, refusing a tier the app needs and the VPC lacks, with the reason for each choice.
 *
 * What AWS alone can tell (that the ids exist, lie in this VPC, and span two zones when
 * `availability-zones` is not written) is checked by CloudFormation at deploy time.
 */

type Locate = (path: DocPath) => SourceLocation;

const TIERS = ['public-subnets', 'private-subnets', 'isolated-subnets'] as const;

function vpcError(message: string, path: DocPath, locate: Locate, hint: string): ShipshapeError {
  return new ShipshapeError(message, { location: locate(path), path: formatPath(path), hint });
}

/** The existing VPC of the selected environment, checked, or undefined when none is written. */
export function existingVpcOf(
  appX: RawAppExtension,
  environment: string,
  locate: Locate,
): ExistingVpc | undefined {
  const own = appX.environments[environment]?.aws;
  const base: DocPath = own?.vpc
    ? ['x-shipshape', 'environments', environment, 'aws']
    : ['x-shipshape', 'aws'];
  const raw = own?.vpc ?? appX.aws.vpc;
  if (!raw) return undefined;
  const path: DocPath = [...base, 'vpc'];
  const nat = own?.nat !== undefined ? own : appX.aws.nat !== undefined ? appX.aws : undefined;
  if (nat) {
    const natPath: DocPath =
      nat === own
        ? ['x-shipshape', 'environments', environment, 'aws', 'nat']
        : ['x-shipshape', 'aws', 'nat'];
    throw vpcError(
      `aws.nat does not apply with aws.vpc: the existing VPC's NAT gateways and endpoints are its own`,
      natPath,
      locate,
      'remove aws.nat (shipshape creates no NAT gateway or endpoint in an existing VPC; see docs/infrastructure.md)',
    );
  }
  checkDuplicates(raw, path, locate);
  checkZones(raw, path, locate);
  return {
    id: raw.id,
    publicSubnets: raw['public-subnets'],
    privateSubnets: raw['private-subnets'],
    isolatedSubnets: raw['isolated-subnets'],
    ...(raw['availability-zones'] ? { availabilityZones: raw['availability-zones'] } : {}),
    path: formatPath(path),
    location: locate(path),
  };
}

type RawVpc = NonNullable<RawAppExtension['aws']['vpc']>;

function checkDuplicates(raw: RawVpc, path: DocPath, locate: Locate): void {
  const seen = new Map<string, string>();
  for (const tier of TIERS) {
    raw[tier].forEach((id, i) => {
      const first = seen.get(id);
      if (first) {
        throw vpcError(
          `subnet ${id} is listed twice (${first} and ${tier})`,
          [...path, tier, i],
          locate,
          'a subnet belongs to one tier: public (route to an internet gateway), private (route out through NAT or endpoints) or isolated (no route out)',
        );
      }
      seen.set(id, tier);
    });
  }
}

function checkZones(raw: RawVpc, path: DocPath, locate: Locate): void {
  const zones = raw['availability-zones'];
  if (!zones) return;
  if (new Set(zones).size !== zones.length || zones.length < 2) {
    throw vpcError(
      `availability-zones must name at least two different zones (got ${zones.join(', ') || 'none'})`,
      [...path, 'availability-zones'],
      locate,
      'list each zone the subnets are in once, e.g. [eu-west-1a, eu-west-1b]: the load balancer and Multi-AZ databases need two',
    );
  }
  for (const tier of TIERS) {
    const n = raw[tier].length;
    if (n % zones.length !== 0) {
      throw vpcError(
        `${tier} lists ${n} subnets for ${zones.length} availability zones`,
        [...path, tier],
        locate,
        `list the subnets in zone order, the same number in each zone: the i-th subnet is in availability-zones[i mod ${zones.length}]`,
      );
    }
  }
}

/** What the app needs of the network (known once the model's decisions are). */
export interface NetworkNeeds {
  /** Services with an entry from the internet (a load balancer in the public subnets). */
  publicServices: string[];
  /** Managed datastores reached over the network (RDS, ElastiCache, DocumentDB). */
  networkDatastores: string[];
}

/** Where each part of the app goes in an existing VPC, and why. */
export interface VpcPlacement {
  vpc: ExistingVpc;
  /** Tier of the managed databases: isolated when given, else private. Undefined: the app has none. */
  dataTier?: 'isolated' | 'private';
  /** One line per decision, for synth's and deploy's progress. */
  reasons: string[];
}

/** Place the app in the existing VPC; refuse (exit 2, at the `vpc` block) a tier it needs and lacks. */
export function placeInExistingVpc(vpc: ExistingVpc, needs: NetworkNeeds): VpcPlacement {
  const count = (ids: string[]) => `${ids.length} subnets`;
  const reasons = [
    `network: the existing VPC ${vpc.id} (${vpc.path}); its routes, NAT gateways and endpoints are its own`,
    vpc.availabilityZones
      ? `availability zones: ${vpc.availabilityZones.join(', ')}`
      : 'availability zones: not written, so not checked offline (AWS refuses a load balancer or database whose subnets are in one zone)',
  ];
  if (needs.publicServices.length > 0) {
    if (vpc.publicSubnets.length === 0) {
      throw new ShipshapeError(
        `${needs.publicServices.join(', ')} ${needs.publicServices.length === 1 ? 'is' : 'are'} reachable from the internet, and ${vpc.path} lists no public-subnets for the load balancer`,
        {
          location: vpc.location,
          path: `${vpc.path}.public-subnets`,
          hint: 'add public-subnets: two or more subnets with a route to an internet gateway, in different availability zones',
        },
      );
    }
    reasons.push(`load balancer: in the ${count(vpc.publicSubnets)} of public-subnets`);
  }
  reasons.push(`tasks: in the ${count(vpc.privateSubnets)} of private-subnets`);
  if (needs.networkDatastores.length === 0) return { vpc, reasons };
  const names = needs.networkDatastores.join(', ');
  if (vpc.isolatedSubnets.length > 0) {
    reasons.push(`databases (${names}): in the ${count(vpc.isolatedSubnets)} of isolated-subnets`);
    return { vpc, dataTier: 'isolated', reasons };
  }
  reasons.push(
    `databases (${names}): in the private subnets, because ${vpc.path} lists no isolated-subnets (add them to keep databases off any route out)`,
  );
  return { vpc, dataTier: 'private', reasons };
}
