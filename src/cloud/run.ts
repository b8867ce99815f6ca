import { ExitCode, ShipshapeError } from '../model/errors.js';
import { environmentRecord } from '../deploy/record.js';
import type { AppModel } from '../model/types.js';
import { cloudClients, type CloudClients } from '../aws/clients.js';
import { describeServices } from '../aws/ecs.js';
import { discoverEnvironment, type CloudService } from '../aws/environment.js';
import { runOneOffTask, type OneOffTaskOptions, type OneOffTaskResult } from '../aws/one-off-task.js';

/**
 * `shipshape run --env NAME SERVICE -- CMD...`, the cloud twin of `docker compose run`: a one-off
 * task of a deployed service (one-off-task.ts) from the task definition ECS runs for it, in its
 * network configuration and security groups, with the command replaced.
 */

export interface RunInServiceOptions extends Omit<
  OneOffTaskOptions,
  'region' | 'cluster' | 'taskDefinition' | 'networkConfiguration' | 'clients'
> {
  service: string;
}

/**
 * `shipshape run`: a one-off task of a deployed service — its task definition (the revision ECS
 * runs), network configuration and launch type — with the command replaced.
 */
export async function runInService(app: AppModel, options: RunInServiceOptions): Promise<OneOffTaskResult> {
  const clients = cloudClients(app.x.aws.region);
  try {
    const env = await discoverEnvironment(app, clients, environmentRecord(app, app.x.environment));
    const svc = env.services.find((s) => s.name === options.service);
    if (!svc) {
      throw new ShipshapeError(`${options.service}: no such service in ${env.app} (${env.environment})`, {
        exitCode: ExitCode.usage,
        hint: `deployed services: ${env.services.map((s) => s.name).join(', ') || 'none'}`,
      });
    }
    const taskOptions = await serviceTaskOptions(clients, svc);
    return await runOneOffTask({
      ...options,
      ...taskOptions,
      region: clients.region,
      container: options.container ?? svc.name,
      clients,
    });
  } finally {
    clients.destroy();
  }
}

/**
 * Where a service's tasks run, as ECS describes the service; when ECS reports no network
 * configuration (the moto emulator does not keep it), as its deployed template declares it.
 */
async function serviceTaskOptions(
  clients: CloudClients,
  svc: CloudService,
): Promise<
  Pick<
    OneOffTaskOptions,
    | 'cluster'
    | 'taskDefinition'
    | 'networkConfiguration'
    | 'launchType'
    | 'capacityProviderStrategy'
    | 'platformVersion'
  >
> {
  const live = (await describeServices(clients, [svc])).get(svc.arn);
  const taskDefinition = live?.taskDefinition ?? svc.taskDefinition;
  const vpc = live?.networkConfiguration?.awsvpcConfiguration;
  if (taskDefinition && vpc?.subnets?.length) {
    return {
      cluster: svc.cluster,
      taskDefinition,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: vpc.subnets,
          securityGroups: vpc.securityGroups ?? [],
          assignPublicIp: vpc.assignPublicIp,
        },
      },
      launchType: live?.capacityProviderStrategy?.length
        ? undefined
        : (live?.launchType as OneOffTaskOptions['launchType']),
      capacityProviderStrategy: live?.capacityProviderStrategy?.map((c) => ({
        capacityProvider: c.capacityProvider!,
        weight: c.weight,
        base: c.base,
      })),
      platformVersion: live?.platformVersion,
    };
  }
  const net = svc.templateNetwork;
  if (!taskDefinition || !net) {
    throw new ShipshapeError(`cannot tell where service ${svc.name}'s tasks run (no network configuration)`, {
      exitCode: ExitCode.failure,
      hint: `ECS describes no awsvpc configuration for it and its template in stack ${svc.stack} names none that resolves`,
    });
  }
  return {
    cluster: svc.cluster,
    taskDefinition,
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: net.subnets,
        securityGroups: net.securityGroups,
        assignPublicIp: net.assignPublicIp === 'ENABLED' ? 'ENABLED' : 'DISABLED',
      },
    },
    launchType: svc.templateLaunch.launchType as OneOffTaskOptions['launchType'],
    capacityProviderStrategy: svc.templateLaunch.capacityProviderStrategy,
    platformVersion: svc.templateLaunch.platformVersion,
  };
}
