import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel } from '../model/types.js';
import { deployedTemplate, stackResources, type StackResource } from './stacks.js';
import { aws, type CloudClients } from './clients.js';
import {
  needsExports,
  resolveAll,
  resolveValue,
  templateJobs,
  templateServices,
  type ResolveContext,
  type Template,
  type TemplateService,
} from './template.js';

/**
 * A deployed environment as the day-2 verbs see it: its stacks (the ones deploy recorded in
 * `.shipshape/deploy/<env>.json`, else the names synth gives them), and in them the app's ECS
 * services, its jobs (task definitions no service runs), load balancers and target groups — found
 * from the stacks' resources and templates, never by guessing resource names.
 */

export interface CloudService {
  /** The ECS service name (the compose service's). */
  name: string;
  stack: string;
  arn: string;
  cluster: string;
  /** The task definition the stack declares for it (ECS may run another during a rollout). */
  taskDefinition?: string;
  /** Target groups the template registers it with. */
  targetGroups: string[];
  /** Its network configuration as the template declares it, resolved. */
  templateNetwork?: { subnets: string[]; securityGroups: string[]; assignPublicIp?: string };
  templateLaunch: Pick<TemplateService, 'launchType' | 'capacityProviderStrategy' | 'platformVersion'>;
}

export interface CloudJob {
  /** The compose service the job runs (its essential container's name). */
  name: string;
  stack: string;
  taskDefinition: string;
  cluster?: string;
  /** Where it runs, as the template declares it, resolved. */
  network?: { subnets: string[]; securityGroups: string[] };
  /** The services that wait for it to complete. */
  waitedOnBy: string[];
}

export interface CloudEnvironment {
  app: string;
  environment: string;
  region: string;
  stacks: { name: string; status?: string }[];
  services: CloudService[];
  jobs: CloudJob[];
  /** Load balancer ARNs. */
  loadBalancers: string[];
  /** What deploy recorded for the environment, when this project deployed it. */
  record?: RecordedDeployment;
}

interface DeployedStack {
  name: string;
  status?: string;
  parameters: Record<string, string>;
  resources: StackResource[];
  template: Template;
}

/** What this reads of deploy's record of an environment (src/deploy/record.ts writes it). */
export interface RecordedDeployment {
  stacks: { name: string; status?: string }[];
  images?: { service: string; reference: string; digest?: string }[];
  outputs?: Record<string, string>;
}

/**
 * Find the environment's stacks and what runs in them: the stacks `record` lists (what deploy
 * recorded in this project), else the names synth gives them. Not deployed: exit 1, with the fix.
 */
export async function discoverEnvironment(
  app: AppModel,
  clients: CloudClients,
  record: RecordedDeployment | undefined,
): Promise<CloudEnvironment> {
  const environment = app.x.environment;
  const names = record?.stacks.map((s) => s.name) ?? (await conventionalStackNames(app));
  const stacks: DeployedStack[] = [];
  for (const name of names) {
    const stack = await readStack(clients, name);
    if (stack) stacks.push(stack);
  }
  if (!stacks.some((s) => s.resources.some((r) => r.type.startsWith('AWS::ECS::')))) {
    throw new ShipshapeError(
      `${app.name} is not deployed to ${environment} in ${clients.region} (no stack ${names.join(', ')} with ECS services)`,
      {
        exitCode: ExitCode.failure,
        hint: `deploy it with \`shipshape deploy --env ${environment}\`, or check AWS_REGION / x-shipshape.aws.region and the account`,
      },
    );
  }
  const exports = stacks.some((s) => needsExports(Object.values(s.template.Resources ?? {})))
    ? await listExports(clients)
    : {};
  const env: CloudEnvironment = {
    app: app.name,
    environment,
    region: clients.region,
    stacks: stacks.map((s) => ({ name: s.name, status: s.status })),
    services: [],
    jobs: [],
    loadBalancers: [],
    record,
  };
  for (const stack of stacks) addStack(env, stack, exports);
  const anyCluster = env.services[0]?.cluster ?? clusterOf(stacks);
  for (const job of env.jobs) job.cluster ??= anyCluster;
  return env;
}

/** The stack names synth gives the environment (one stack, or one per service when split). */
async function conventionalStackNames(app: AppModel): Promise<string[]> {
  // Only when this project has no record of the environment (deployed from CI, say): synth.ts owns
  // the naming, and loading it (aws-cdk-lib) costs a second only on this path.
  const { stackName } = await import('../infra/synth.js');
  const env = app.x.environment;
  return [stackName(app.name, env), ...app.services.map((s) => stackName(app.name, env, s.name))];
}

async function readStack(clients: CloudClients, name: string): Promise<DeployedStack | undefined> {
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = await clients.cfn();
  const described = await aws(clients.region, () =>
    cfn.send(new DescribeStacksCommand({ StackName: name })).catch((e: Error) => {
      if (/does not exist/i.test(e.message)) return undefined;
      throw e;
    }),
  );
  const stack = described?.Stacks?.[0];
  if (!stack || stack.StackStatus === 'DELETE_COMPLETE') return undefined;
  return {
    name,
    status: stack.StackStatus,
    parameters: Object.fromEntries(
      (stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ParameterValue ?? '']),
    ),
    resources: await aws(clients.region, () => stackResources(clients.region, name)),
    template: (await aws(clients.region, () => deployedTemplate(clients.region, name))) as Template,
  };
}

async function listExports(clients: CloudClients): Promise<Record<string, string>> {
  const { paginateListExports } = await import('@aws-sdk/client-cloudformation');
  const out: Record<string, string> = {};
  await aws(clients.region, async () => {
    for await (const page of paginateListExports({ client: await clients.cfn() }, {})) {
      for (const e of page.Exports ?? []) if (e.Name && e.Value) out[e.Name] = e.Value;
    }
  });
  return out;
}

function clusterOf(stacks: DeployedStack[]): string | undefined {
  for (const s of stacks) {
    const cluster = s.resources.find((r) => r.type === 'AWS::ECS::Cluster' && r.physicalId);
    if (cluster) return cluster.physicalId;
  }
  return undefined;
}

function addStack(env: CloudEnvironment, stack: DeployedStack, exports: Record<string, string>): void {
  const physical = Object.fromEntries(
    stack.resources.filter((r) => r.physicalId).map((r) => [r.logicalId, r.physicalId!]),
  );
  const ctx: ResolveContext = { physical, parameters: stack.parameters, exports, region: env.region };
  for (const s of templateServices(stack.template)) {
    const arn = physical[s.logicalId];
    if (!arn) continue; // not created (yet): nothing to describe
    const subnets = resolveAll(s.subnets, ctx);
    const securityGroups = resolveAll(s.securityGroups, ctx);
    env.services.push({
      name: s.serviceName ?? arn.split('/').pop()!,
      stack: stack.name,
      arn,
      cluster: resolveValue(s.cluster, ctx) ?? clusterFromArn(arn),
      taskDefinition: s.taskDefinition ? physical[s.taskDefinition] : undefined,
      targetGroups: resolveAll(s.targetGroups, ctx) ?? [],
      templateNetwork:
        subnets?.length && securityGroups
          ? { subnets, securityGroups, assignPublicIp: s.assignPublicIp }
          : undefined,
      templateLaunch: {
        launchType: s.launchType,
        capacityProviderStrategy: s.capacityProviderStrategy,
        platformVersion: s.platformVersion,
      },
    });
  }
  for (const j of templateJobs(stack.template)) {
    const taskDefinition = physical[j.logicalId];
    if (!taskDefinition) continue;
    const subnets = resolveAll(j.subnets, ctx);
    const securityGroups = resolveAll(j.securityGroups, ctx);
    const cluster = j.cluster !== undefined ? resolveValue(j.cluster, ctx) : undefined;
    env.jobs.push({
      name: j.name,
      stack: stack.name,
      taskDefinition,
      ...(cluster ? { cluster } : {}),
      ...(subnets?.length && securityGroups?.length ? { network: { subnets, securityGroups } } : {}),
      waitedOnBy: j.waitedOnBy,
    });
  }
  for (const r of stack.resources) {
    if (r.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' && r.physicalId)
      env.loadBalancers.push(r.physicalId);
  }
}

/** `arn:aws:ecs:region:account:service/<cluster>/<service>` → the cluster. */
function clusterFromArn(arn: string): string {
  const parts = arn.split('/');
  return parts.length >= 3 ? parts[parts.length - 2]! : 'default';
}

/**
 * The named services and jobs (all when `names` is empty); an unknown name is bad input (exit 2)
 * with the names there are.
 */
export function pick(
  env: CloudEnvironment,
  names: readonly string[],
): { services: CloudService[]; jobs: CloudJob[] } {
  if (names.length === 0) return { services: env.services, jobs: env.jobs };
  const known = [...env.services.map((s) => s.name), ...env.jobs.map((j) => j.name)];
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new ShipshapeError(
      `${unknown.join(', ')}: no such service or job in ${env.app} (${env.environment})`,
      { exitCode: ExitCode.usage, hint: `deployed: ${known.join(', ') || 'nothing'}` },
    );
  }
  return {
    services: env.services.filter((s) => names.includes(s.name)),
    jobs: env.jobs.filter((j) => names.includes(j.name)),
  };
}
