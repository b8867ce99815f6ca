import { clientConfig } from '../aws/config.js';
import type { StackResource } from '../aws/stacks.js';

/**
 * After CloudFormation: wait until every ECS service of the app has reached a steady state (one
 * deployment, rollout completed, running = desired). When a rollout fails or does not finish in
 * time, say why: the stopped tasks' reasons (ECS DescribeTasks) and their last log lines
 * (CloudWatch Logs, read from the task definition's awslogs settings).
 */

export interface ServiceState {
  cluster: string;
  service: string;
  name: string;
  desired: number;
  running: number;
  rollout?: string;
  rolloutReason?: string;
  deployments: number;
}

export type Verdict = 'steady' | 'failed' | 'waiting';

/** Pure: what a service's state means. */
export function verdict(s: ServiceState): Verdict {
  if (s.rollout === 'FAILED') return 'failed';
  if (s.deployments === 1 && s.rollout !== 'IN_PROGRESS' && s.running >= s.desired) return 'steady';
  return 'waiting';
}

/** The ECS services (with their clusters) among a stack's resources. */
export function ecsServices(resources: StackResource[]): { cluster: string; service: string }[] {
  return resources
    .filter((r) => r.type === 'AWS::ECS::Service' && r.physicalId)
    .map((r) => {
      // arn:aws:ecs:region:account:service/<cluster>/<service>
      const parts = r.physicalId!.split('/');
      return { cluster: parts.length >= 3 ? parts[parts.length - 2]! : 'default', service: r.physicalId! };
    });
}

type Ecs = import('@aws-sdk/client-ecs').ECSClient;

async function describe(ecs: Ecs, services: { cluster: string; service: string }[]): Promise<ServiceState[]> {
  const { DescribeServicesCommand } = await import('@aws-sdk/client-ecs');
  const byCluster = new Map<string, string[]>();
  for (const s of services) byCluster.set(s.cluster, [...(byCluster.get(s.cluster) ?? []), s.service]);
  const out: ServiceState[] = [];
  for (const [cluster, arns] of byCluster) {
    for (let i = 0; i < arns.length; i += 10) {
      const res = await ecs.send(new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10) }));
      for (const s of res.services ?? []) {
        const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
        out.push({
          cluster,
          service: s.serviceArn!,
          name: s.serviceName ?? s.serviceArn!,
          desired: s.desiredCount ?? 0,
          running: s.runningCount ?? 0,
          rollout: primary?.rolloutState,
          rolloutReason: primary?.rolloutStateReason,
          deployments: s.deployments?.length ?? 0,
        });
      }
    }
  }
  return out;
}

export interface WaitOptions {
  region: string;
  timeoutMs: number;
  /** Poll interval. Default 5 s. */
  intervalMs?: number;
  onProgress: (line: string) => void;
}

export interface WaitResult {
  steady: ServiceState[];
  /** Services whose rollout failed or did not finish in time. */
  unsteady: ServiceState[];
  timedOut: boolean;
}

export async function waitSteady(
  services: { cluster: string; service: string }[],
  options: WaitOptions,
): Promise<WaitResult> {
  const { ECSClient } = await import('@aws-sdk/client-ecs');
  const ecs = new ECSClient(clientConfig(options.region));
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  try {
    for (;;) {
      const states = await describe(ecs, services);
      const waiting = states.filter((s) => verdict(s) === 'waiting');
      const failed = states.filter((s) => verdict(s) === 'failed');
      const line = states
        .map((s) => `${s.name} ${s.running}/${s.desired} ${s.rollout ?? ''}`.trim())
        .join(', ');
      if (line !== last) options.onProgress(`services: ${line}`);
      last = line;
      if (waiting.length === 0 || failed.length > 0 || Date.now() >= deadline) {
        return {
          steady: states.filter((s) => verdict(s) === 'steady'),
          unsteady: [...failed, ...waiting],
          timedOut: waiting.length > 0 && failed.length === 0,
        };
      }
      await new Promise((r) =>
        setTimeout(r, Math.min(options.intervalMs ?? 5000, Math.max(deadline - Date.now(), 0))),
      );
    }
  } finally {
    ecs.destroy();
  }
}

export interface StoppedTask {
  taskArn: string;
  stoppedReason?: string;
  containers: { name: string; exitCode?: number; reason?: string }[];
  /** Last log lines of each container, by container name. */
  logs: Record<string, string[]>;
}

/** Why a service's tasks stopped: up to `max` recent stopped tasks with their last log lines. */
export async function diagnose(region: string, s: ServiceState, max = 3, lines = 20): Promise<StoppedTask[]> {
  const { ECSClient, ListTasksCommand, DescribeTasksCommand, DescribeTaskDefinitionCommand } =
    await import('@aws-sdk/client-ecs');
  const ecs = new ECSClient(clientConfig(region));
  try {
    const listed = await ecs.send(
      new ListTasksCommand({
        cluster: s.cluster,
        serviceName: s.name,
        desiredStatus: 'STOPPED',
        maxResults: 100,
      }),
    );
    if (!listed.taskArns?.length) return [];
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster: s.cluster, tasks: listed.taskArns.slice(0, 100) }),
    );
    // ECS filters by service itself; the group check keeps other services' tasks out where a
    // ListTasks implementation does not.
    const tasks = (described.tasks ?? [])
      .filter((t) => !t.group || t.group === `service:${s.name}`)
      .sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0))
      .slice(0, max);
    const out: StoppedTask[] = [];
    for (const t of tasks) {
      const def = t.taskDefinitionArn
        ? (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: t.taskDefinitionArn })))
            .taskDefinition
        : undefined;
      const taskId = t.taskArn!.split('/').pop()!;
      const logs: Record<string, string[]> = {};
      for (const c of def?.containerDefinitions ?? []) {
        const o = c.logConfiguration?.logDriver === 'awslogs' ? c.logConfiguration.options : undefined;
        if (!o?.['awslogs-group'] || !o['awslogs-stream-prefix']) continue;
        logs[c.name!] = await lastLogLines(
          region,
          o['awslogs-group'],
          `${o['awslogs-stream-prefix']}/${c.name}/${taskId}`,
          lines,
        );
      }
      out.push({
        taskArn: t.taskArn!,
        stoppedReason: t.stoppedReason,
        containers: (t.containers ?? []).map((c) => ({
          name: c.name ?? '?',
          exitCode: c.exitCode,
          reason: c.reason,
        })),
        logs,
      });
    }
    return out;
  } finally {
    ecs.destroy();
  }
}

async function lastLogLines(region: string, group: string, stream: string, limit: number): Promise<string[]> {
  const { CloudWatchLogsClient, GetLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const logs = new CloudWatchLogsClient(clientConfig(region));
  try {
    const res = await logs.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit, startFromHead: false }),
    );
    return (res.events ?? []).map((e) => (e.message ?? '').trimEnd());
  } catch {
    return []; // no stream: the container never started, its reason says why
  } finally {
    logs.destroy();
  }
}
