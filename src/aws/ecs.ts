import { aws, type CloudClients } from './clients.js';
import type { CloudService } from './environment.js';

/** ECS as ps, logs and run read it: DescribeServices, ListTasks, DescribeTasks. */

export interface ContainerView {
  name: string;
  image?: string;
  imageDigest?: string;
  lastStatus?: string;
  exitCode?: number;
  reason?: string;
}

export interface TaskView {
  taskArn: string;
  /** The last part of the ARN: what the console and the log stream names show. */
  taskId: string;
  /** `service:<name>` for a service's tasks, `family:<family>` or what RunTask was given otherwise. */
  group?: string;
  lastStatus?: string;
  desiredStatus?: string;
  createdAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  stopCode?: string;
  stoppedReason?: string;
  taskDefinition?: string;
  containers: ContainerView[];
}

type EcsTask = import('@aws-sdk/client-ecs').Task;

export function taskView(t: EcsTask): TaskView {
  return {
    taskArn: t.taskArn ?? '',
    taskId: (t.taskArn ?? '').split('/').pop() ?? '',
    group: t.group,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    createdAt: t.createdAt?.toISOString(),
    startedAt: t.startedAt?.toISOString(),
    stoppedAt: t.stoppedAt?.toISOString(),
    stopCode: t.stopCode,
    stoppedReason: t.stoppedReason || undefined,
    taskDefinition: t.taskDefinitionArn,
    containers: (t.containers ?? []).map((c) => ({
      name: c.name ?? '?',
      image: c.image,
      imageDigest: c.imageDigest,
      lastStatus: c.lastStatus,
      exitCode: c.exitCode,
      reason: c.reason,
    })),
  };
}

/** The container a task runs for `name` (the compose service), else its first one. */
export function mainContainer(task: TaskView, name: string): ContainerView | undefined {
  return task.containers.find((c) => c.name === name) ?? task.containers[0];
}

/** One page (up to 100, the newest ECS keeps) of a cluster's task ARNs. */
export async function listTasks(
  clients: CloudClients,
  filter: { cluster: string; serviceName?: string; family?: string; desiredStatus: 'RUNNING' | 'STOPPED' },
): Promise<string[]> {
  const { ListTasksCommand } = await import('@aws-sdk/client-ecs');
  const ecs = await clients.ecs();
  const res = await aws(clients.region, () => ecs.send(new ListTasksCommand({ ...filter, maxResults: 100 })));
  return res.taskArns ?? [];
}

/** DescribeTasks, 100 at a time. */
export async function describeTasks(
  clients: CloudClients,
  cluster: string,
  arns: readonly string[],
): Promise<TaskView[]> {
  if (arns.length === 0) return [];
  const { DescribeTasksCommand } = await import('@aws-sdk/client-ecs');
  const ecs = await clients.ecs();
  const out: TaskView[] = [];
  for (let i = 0; i < arns.length; i += 100) {
    const res = await aws(clients.region, () =>
      ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) })),
    );
    out.push(...(res.tasks ?? []).map(taskView));
  }
  return out;
}

type EcsService = import('@aws-sdk/client-ecs').Service;

/** DescribeServices, per cluster, ten at a time (the API's limit). */
export async function describeServices(
  clients: CloudClients,
  services: readonly CloudService[],
): Promise<Map<string, EcsService>> {
  const { DescribeServicesCommand } = await import('@aws-sdk/client-ecs');
  const ecs = await clients.ecs();
  const byCluster = new Map<string, string[]>();
  for (const s of services) byCluster.set(s.cluster, [...(byCluster.get(s.cluster) ?? []), s.arn]);
  const out = new Map<string, EcsService>();
  for (const [cluster, arns] of byCluster) {
    for (let i = 0; i < arns.length; i += 10) {
      const res = await aws(clients.region, () =>
        ecs.send(new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10) })),
      );
      for (const s of res.services ?? []) if (s.serviceArn) out.set(s.serviceArn, s);
    }
  }
  return out;
}
