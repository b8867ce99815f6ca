import { clientConfig, credentialsError } from './config.js';

/**
 * The AWS SDK v3 clients the day-2 verbs (ps, logs, run, rollback) use, one of each per command,
 * each loaded on first use (`logs` never loads the ELBv2 client), with the standard configuration
 * deploy uses (src/aws/config.ts): AWS_PROFILE, the credentials chain, AWS_ENDPOINT_URL.
 */

type Ecs = import('@aws-sdk/client-ecs').ECSClient;
type Logs = import('@aws-sdk/client-cloudwatch-logs').CloudWatchLogsClient;
type Elb = import('@aws-sdk/client-elastic-load-balancing-v2').ElasticLoadBalancingV2Client;
type Cfn = import('@aws-sdk/client-cloudformation').CloudFormationClient;

export interface CloudClients {
  region: string;
  ecs(): Promise<Ecs>;
  logs(): Promise<Logs>;
  elb(): Promise<Elb>;
  cfn(): Promise<Cfn>;
  destroy(): void;
}

export function cloudClients(region: string): CloudClients {
  const made: { destroy(): void }[] = [];
  const once = <T extends { destroy(): void }>(make: () => Promise<T>) => {
    let client: Promise<T> | undefined;
    return () =>
      (client ??= make().then((c) => {
        made.push(c);
        return c;
      }));
  };
  const config = clientConfig(region);
  return {
    region,
    ecs: once(async () => new (await import('@aws-sdk/client-ecs')).ECSClient(config)),
    logs: once(
      async () => new (await import('@aws-sdk/client-cloudwatch-logs')).CloudWatchLogsClient(config),
    ),
    elb: once(
      async () =>
        new (await import('@aws-sdk/client-elastic-load-balancing-v2')).ElasticLoadBalancingV2Client(config),
    ),
    cfn: once(async () => new (await import('@aws-sdk/client-cloudformation')).CloudFormationClient(config)),
    destroy: () => made.forEach((c) => c.destroy()),
  };
}

/** Run an AWS call; the failures people hit (no credentials, expired session, no network) exit 3. */
export async function aws<T>(region: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw credentialsError(e, region) ?? e;
  }
}
