import { Lazy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { ShipshapeError } from '../model/errors.js';
import type { AppModel, ExistingVpc, ServiceModel } from '../model/types.js';
import { placeInExistingVpc, type VpcPlacement } from '../model/vpc.js';
import { NETWORK_ENGINES } from './datastores/index.js';

/**
 * Import the VPC of `x-shipshape.aws.vpc` (the model checked it, src/model/vpc.ts): its public
 * subnets become CDK's PUBLIC subnets (what the load balancers select), the private ones
 * PRIVATE_WITH_EGRESS (the tasks) and the isolated ones PRIVATE_ISOLATED (the databases). Nothing
 * of the network is created: no subnet, route, NAT gateway, endpoint or flow log.
 *
 * CDK needs each imported subnet's zone. When `availability-zones` is not written, every subnet
 * gets one placeholder zone that fails the synth if a construct ever writes it into a template
 * (none of shipshape's does: they refer to subnets by id), rather than a guessed zone name.
 */
export function importExistingVpc(scope: Construct, id: string, vpc: ExistingVpc): ec2.IVpc {
  const zones = vpc.availabilityZones ?? [unknownZone(vpc)];
  // CDK groups a tier's subnets by zone (subnet i in zone i mod n) and names each group; with
  // the one placeholder zone each subnet is a group of its own, so each group gets its name.
  const tier = (name: string, ids: string[]) =>
    ids.length === 0
      ? {}
      : {
          [`${name}SubnetIds`]: ids,
          [`${name}SubnetNames`]: Array.from(
            { length: ids.length / zones.length },
            (_, k) => `${name}${k + 1}`,
          ),
        };
  return ec2.Vpc.fromVpcAttributes(scope, id, {
    vpcId: vpc.id,
    availabilityZones: zones,
    ...tier('public', vpc.publicSubnets),
    ...tier('private', vpc.privateSubnets),
    ...tier('isolated', vpc.isolatedSubnets),
  });
}

function unknownZone(vpc: ExistingVpc): string {
  return Lazy.string({
    produce: () => {
      throw new ShipshapeError(`a resource needs the availability zones of the subnets of ${vpc.id}`, {
        location: vpc.location,
        path: vpc.path,
        hint: 'add availability-zones: the zone of each subnet, in the order the subnets are listed',
      });
    },
  });
}

/**
 * The model's placement of the app in its existing VPC (undefined without `aws.vpc`), from what
 * ComposeApp builds: a load balancer for the cloud containers with entries, and the managed
 * datastores reached over the network.
 */
export function existingVpcPlacement(
  app: AppModel,
  runtime: readonly ServiceModel[],
  managed: readonly ServiceModel[],
): VpcPlacement | undefined {
  const vpc = app.x.aws.vpc;
  if (!vpc) return undefined;
  return placeInExistingVpc(vpc, {
    publicServices: runtime.filter((s) => s.intent.entryPorts.length > 0).map((s) => s.name),
    networkDatastores: managed
      .filter((s) => NETWORK_ENGINES.has(s.intent.datastore!.engine!))
      .map((s) => s.name),
  });
}
