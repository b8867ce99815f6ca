import type { AppModel } from '../model/types.js';
import { environmentRecord } from '../deploy/record.js';
import { aws, cloudClients, type CloudClients } from '../aws/clients.js';
import {
  discoverEnvironment,
  type CloudEnvironment,
  type CloudJob,
  type CloudService,
} from '../aws/environment.js';
import { rolloutOf, shortTaskDefinition, type RolloutView } from './rollout.js';
import { describeServices, describeTasks, listTasks, mainContainer, type TaskView } from '../aws/ecs.js';

/**
 * `shipshape ps --env NAME`: what runs in a deployed environment. Per ECS service: task counts,
 * the rollout (in progress, completed, rolled back and why), the health of its load balancer
 * targets, the images (with digests) its tasks run; per job, its last run and exit code; the
 * app's URLs.
 */

export interface TargetGroupHealth {
  targetGroup: string;
  healthy: number;
  total: number;
  targets: { id: string; port?: number; state: string; reason?: string }[];
}

export interface ServiceImage {
  container: string;
  image: string;
  digest?: string;
  /** Where the digest comes from: the running tasks (what ECS pulled) or the deploy record. */
  from: 'running tasks' | 'deploy record' | 'task definition';
}

export interface ServiceStatus {
  name: string;
  cluster: string;
  /** ACTIVE, DRAINING, INACTIVE. */
  status: string;
  desired: number;
  running: number;
  pending: number;
  /** `family:revision` ECS runs. */
  taskDefinition: string;
  rollout: RolloutView;
  targets: TargetGroupHealth[];
  images: ServiceImage[];
  /** The newest service events, newest first. */
  events: { at?: string; message: string }[];
}

export interface JobStatus {
  name: string;
  taskDefinition: string;
  /** The newest task of the job (running or stopped), if ECS still has one (it keeps stopped tasks about an hour). */
  lastRun?: TaskView & { exitCode?: number };
}

export interface CloudPsReport {
  app: string;
  environment: string;
  region: string;
  stacks: { name: string; status?: string }[];
  urls: string[];
  services: ServiceStatus[];
  jobs: JobStatus[];
}

export async function cloudPs(app: AppModel): Promise<CloudPsReport> {
  const clients = cloudClients(app.x.aws.region);
  try {
    const env = await discoverEnvironment(app, clients, environmentRecord(app, app.x.environment));
    const [services, jobs, urls] = await Promise.all([
      serviceStatuses(clients, env),
      Promise.all(env.jobs.map((j) => jobStatus(clients, j))),
      appUrls(clients, env),
    ]);
    return {
      app: env.app,
      environment: env.environment,
      region: env.region,
      stacks: env.stacks,
      urls,
      services,
      jobs,
    };
  } finally {
    clients.destroy();
  }
}

async function serviceStatuses(clients: CloudClients, env: CloudEnvironment): Promise<ServiceStatus[]> {
  const described = await describeServices(clients, env.services);
  return Promise.all(
    env.services.map(async (svc) => {
      const s = described.get(svc.arn);
      const taskDefinition = s?.taskDefinition ?? svc.taskDefinition;
      return {
        name: svc.name,
        cluster: svc.cluster,
        status: s?.status ?? 'MISSING',
        desired: s?.desiredCount ?? 0,
        running: s?.runningCount ?? 0,
        pending: s?.pendingCount ?? 0,
        taskDefinition: shortTaskDefinition(taskDefinition),
        rollout: rolloutOf(s?.deployments ?? [], s?.events ?? []),
        targets: await targetHealth(
          clients,
          s?.loadBalancers?.length
            ? s.loadBalancers.map((lb) => lb.targetGroupArn!).filter(Boolean)
            : svc.targetGroups,
        ),
        images: await serviceImages(clients, env, svc, taskDefinition),
        events: (s?.events ?? []).slice(0, 3).map((e) => ({
          at: e.createdAt?.toISOString(),
          message: e.message ?? '',
        })),
      };
    }),
  );
}

async function targetHealth(clients: CloudClients, targetGroups: string[]): Promise<TargetGroupHealth[]> {
  if (targetGroups.length === 0) return [];
  const { DescribeTargetHealthCommand } = await import('@aws-sdk/client-elastic-load-balancing-v2');
  const elb = await clients.elb();
  return Promise.all(
    targetGroups.map(async (arn) => {
      const res = await aws(clients.region, () =>
        elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })),
      );
      const targets = (res.TargetHealthDescriptions ?? []).map((t) => ({
        id: t.Target?.Id ?? '?',
        port: t.Target?.Port,
        state: t.TargetHealth?.State ?? 'unknown',
        reason: t.TargetHealth?.Description ?? t.TargetHealth?.Reason,
      }));
      return {
        // arn:…:targetgroup/<name>/<id>
        targetGroup: arn.split('/').slice(-2, -1)[0] ?? arn,
        healthy: targets.filter((t) => t.state === 'healthy').length,
        total: targets.length,
        targets,
      };
    }),
  );
}

/**
 * The images a service runs: the digests its running tasks report (what ECS really pulled);
 * without running tasks, the task definition's references, with the digest deploy recorded.
 */
async function serviceImages(
  clients: CloudClients,
  env: CloudEnvironment,
  svc: CloudService,
  taskDefinition: string | undefined,
): Promise<ServiceImage[]> {
  const running = (
    await describeTasks(
      clients,
      svc.cluster,
      await listTasks(clients, { cluster: svc.cluster, serviceName: svc.name, desiredStatus: 'RUNNING' }),
    )
  ).filter((t) => t.group === `service:${svc.name}` && t.lastStatus === 'RUNNING');
  const seen = new Map<string, ServiceImage>();
  for (const t of running) {
    for (const c of t.containers) {
      if (c.image)
        seen.set(`${c.name}@${c.imageDigest ?? c.image}`, {
          container: c.name,
          image: c.image,
          digest: c.imageDigest,
          from: 'running tasks',
        });
    }
  }
  if (seen.size > 0 || !taskDefinition) return [...seen.values()];
  const { DescribeTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
  const ecs = await clients.ecs();
  const def = await aws(clients.region, () =>
    ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })),
  );
  return (def.taskDefinition?.containerDefinitions ?? []).map((c) => {
    const recorded = env.record?.images?.find((i) => i.reference === c.image);
    return {
      container: c.name ?? '?',
      image: c.image ?? '?',
      digest: recorded?.digest,
      from: recorded?.digest ? 'deploy record' : 'task definition',
    };
  });
}

async function jobStatus(clients: CloudClients, job: CloudJob): Promise<JobStatus> {
  const family = shortTaskDefinition(job.taskDefinition).replace(/:\d+$/, '');
  const status: JobStatus = { name: job.name, taskDefinition: shortTaskDefinition(job.taskDefinition) };
  if (!job.cluster) return status;
  const arns = [
    ...(await listTasks(clients, { cluster: job.cluster, family, desiredStatus: 'RUNNING' })),
    ...(await listTasks(clients, { cluster: job.cluster, family, desiredStatus: 'STOPPED' })),
  ];
  const tasks = await describeTasks(clients, job.cluster, [...new Set(arns)]);
  const newest = tasks.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''))[0];
  return newest
    ? { ...status, lastRun: { ...newest, exitCode: mainContainer(newest, job.name)?.exitCode } }
    : status;
}

/** The app's URLs: what deploy recorded, else each load balancer's DNS name. */
async function appUrls(clients: CloudClients, env: CloudEnvironment): Promise<string[]> {
  const recorded = Object.values(env.record?.outputs ?? {});
  if (recorded.length > 0 || env.loadBalancers.length === 0) return recorded;
  const { DescribeLoadBalancersCommand, DescribeListenersCommand } =
    await import('@aws-sdk/client-elastic-load-balancing-v2');
  const elb = await clients.elb();
  const res = await aws(clients.region, () =>
    elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: env.loadBalancers })),
  );
  const urls: string[] = [];
  for (const lb of res.LoadBalancers ?? []) {
    if (!lb.DNSName) continue;
    if (lb.Type === 'network') {
      urls.push(`${lb.DNSName} (TCP/UDP)`);
      continue;
    }
    const listeners = await aws(clients.region, () =>
      elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn })),
    );
    const https = (listeners.Listeners ?? []).some((l) => l.Protocol === 'HTTPS');
    urls.push(`${https ? 'https' : 'http'}://${lb.DNSName}`);
  }
  return urls;
}
