import { ExitCode, ShipshapeError } from '../model/errors.js';
import { aws, cloudClients, type CloudClients } from './clients.js';
import { describeTasks, taskView, type ContainerView, type TaskView } from './ecs.js';

/**
 * One-off ECS tasks, for `shipshape run` (run.ts) and for deploy's jobs: RunTask from a task
 * definition with one container's command replaced, in a given network configuration; then
 * DescribeTasks every few seconds until the task stops (or the timeout, or an abort, stops it),
 * streaming the containers' CloudWatch Logs meanwhile. Returns the exit code, the stop reason and
 * the last log lines:
 *
 *   const r = await runOneOffTask({ region, cluster, taskDefinition, networkConfiguration,
 *                                   command: ['./migrate'], timeoutMs: 600_000 });
 *   if (r.outcome !== 'exited' || r.exitCode !== 0) throw …(r.stopReason, r.lastLogLines)
 */

export interface AwsVpcNetwork {
  awsvpcConfiguration: {
    subnets: string[];
    securityGroups: string[];
    assignPublicIp?: 'ENABLED' | 'DISABLED';
  };
}

export interface OneOffTaskOptions {
  region: string;
  cluster: string;
  /** Family, `family:revision` or ARN. */
  taskDefinition: string;
  networkConfiguration: AwsVpcNetwork;
  /** Default FARGATE (unless a capacity provider strategy is given). */
  launchType?: 'FARGATE' | 'EC2' | 'EXTERNAL';
  capacityProviderStrategy?: { capacityProvider: string; weight?: number; base?: number }[];
  platformVersion?: string;
  /**
   * The container whose command `command` replaces and whose exit code is the task's.
   * @default the task definition's first essential container
   */
  container?: string;
  /** Replaces the container's command (CMD; the entrypoint stays). Default: its own command. */
  command?: string[];
  /** RunTask's startedBy (up to 36 characters). Default `shipshape`. */
  startedBy?: string;
  /** How long to wait for the task to stop before stopping it. Default 15 minutes. */
  timeoutMs?: number;
  /** DescribeTasks interval. Default 2 s. */
  intervalMs?: number;
  /** Log lines of the container kept for the result. Default 20. */
  keepLogLines?: number;
  /** Return once the task is started, without waiting. Default false. */
  detach?: boolean;
  /** Stops the task when aborted (the result's outcome is then `interrupted`). */
  signal?: AbortSignal;
  onStarted?: (task: { taskArn: string; taskId: string }) => void;
  onLog?: (line: { container: string; timestamp: number; text: string }) => void;
  onProgress?: (line: string) => void;
  clients?: CloudClients;
}

export type OneOffOutcome = 'started' | 'exited' | 'not-started' | 'timed-out' | 'interrupted';

export interface OneOffTaskResult {
  taskArn: string;
  taskId: string;
  cluster: string;
  container: string;
  /** exited: the container ran and stopped; not-started: the task stopped without its exit code. */
  outcome: OneOffOutcome;
  /** The container's exit code, when it has one. */
  exitCode?: number;
  stopCode?: string;
  stopReason?: string;
  containers: ContainerView[];
  /** The container's last log lines. */
  lastLogLines: string[];
  durationMs: number;
}

/** The exit codes of `shipshape run` that are not the command's own (docs/day2.md). */
export const RUN_EXIT = { notStarted: 125, timedOut: 124, interrupted: ExitCode.interrupted } as const;

/**
 * Pure: the exit code `shipshape run` ends with. The command's own code when it ran (as `docker
 * compose run`); 125 when the task stopped without it (it never started: image pull, resources, a
 * failed helper container, stopped by someone — as `docker run` does when it cannot run the
 * container); 124 when the timeout stopped it (as `timeout(1)`); 130 on Ctrl-C; 0 when detached.
 */
export function runExitCode(result: Pick<OneOffTaskResult, 'outcome' | 'exitCode'>): number {
  switch (result.outcome) {
    case 'started':
      return ExitCode.ok;
    case 'exited':
      return result.exitCode ?? RUN_EXIT.notStarted;
    case 'timed-out':
      return RUN_EXIT.timedOut;
    case 'interrupted':
      return RUN_EXIT.interrupted;
    default:
      return RUN_EXIT.notStarted;
  }
}

/** Pure: how a stopped task ended for `container`. */
export function outcomeOf(task: TaskView, container: string): Pick<OneOffTaskResult, 'outcome' | 'exitCode'> {
  const c = task.containers.find((x) => x.name === container);
  return c?.exitCode === undefined ? { outcome: 'not-started' } : { outcome: 'exited', exitCode: c.exitCode };
}

const STOP_GRACE_MS = 150_000;

interface ContainerLog {
  container: string;
  group: string;
  stream: string;
  nextToken?: string;
}

/** Run a task once and wait for it to stop; its logs go to `onLog` as they arrive. */
export async function runOneOffTask(options: OneOffTaskOptions): Promise<OneOffTaskResult> {
  const started = Date.now();
  const clients = options.clients ?? cloudClients(options.region);
  try {
    const definition = await containersOf(clients, options.taskDefinition);
    const container = options.container ?? definition.main;
    if (!definition.containers.some((c) => c.name === container)) {
      throw new ShipshapeError(`task definition ${options.taskDefinition} has no container ${container}`, {
        exitCode: ExitCode.usage,
        hint: `its containers: ${definition.containers.map((c) => c.name).join(', ')}`,
      });
    }
    const task = await startTask(clients, options, container);
    options.onStarted?.({ taskArn: task.taskArn, taskId: task.taskId });
    const base = { taskArn: task.taskArn, taskId: task.taskId, cluster: options.cluster, container };
    if (options.detach) {
      return {
        ...base,
        outcome: 'started',
        containers: task.containers,
        lastLogLines: [],
        durationMs: Date.now() - started,
      };
    }
    const logs = definition.containers
      .filter((c) => c.group && c.prefix)
      .map((c) => ({ container: c.name, group: c.group!, stream: `${c.prefix}/${c.name}/${task.taskId}` }));
    const waited = await waitForStop(clients, options, task, logs, container);
    return { ...base, ...waited, durationMs: Date.now() - started };
  } finally {
    if (!options.clients) clients.destroy();
  }
}

async function containersOf(clients: CloudClients, taskDefinition: string) {
  const { DescribeTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
  const ecs = await clients.ecs();
  const res = await aws(clients.region, () =>
    ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })),
  );
  const containers = (res.taskDefinition?.containerDefinitions ?? []).map((c) => {
    const o = c.logConfiguration?.logDriver === 'awslogs' ? c.logConfiguration.options : undefined;
    return {
      name: c.name ?? '?',
      essential: c.essential !== false,
      group: o?.['awslogs-group'],
      prefix: o?.['awslogs-stream-prefix'],
    };
  });
  const main = (containers.find((c) => c.essential) ?? containers[0])?.name ?? '?';
  return { containers, main };
}

async function startTask(
  clients: CloudClients,
  options: OneOffTaskOptions,
  container: string,
): Promise<TaskView> {
  const { RunTaskCommand } = await import('@aws-sdk/client-ecs');
  const ecs = await clients.ecs();
  const strategy = options.capacityProviderStrategy?.length ? options.capacityProviderStrategy : undefined;
  const res = await aws(clients.region, () =>
    ecs.send(
      new RunTaskCommand({
        cluster: options.cluster,
        taskDefinition: options.taskDefinition,
        count: 1,
        ...(strategy
          ? { capacityProviderStrategy: strategy }
          : { launchType: options.launchType ?? 'FARGATE' }),
        ...(options.platformVersion ? { platformVersion: options.platformVersion } : {}),
        networkConfiguration: options.networkConfiguration,
        startedBy: (options.startedBy ?? 'shipshape').slice(0, 36),
        ...(options.command
          ? { overrides: { containerOverrides: [{ name: container, command: options.command }] } }
          : {}),
      }),
    ),
  );
  const task = res.tasks?.[0];
  if (!task?.taskArn) {
    const why = (res.failures ?? []).map((f) => `${f.arn ?? ''} ${f.reason ?? ''} ${f.detail ?? ''}`.trim());
    throw new ShipshapeError(
      `ECS did not start the task: ${why.join('; ') || 'no task and no reason returned'}`,
      {
        exitCode: ExitCode.failure,
        hint: 'check the cluster capacity, the subnets and the task definition (aws ecs run-task says the same)',
      },
    );
  }
  return taskView(task);
}

async function waitForStop(
  clients: CloudClients,
  options: OneOffTaskOptions,
  task: TaskView,
  logs: ContainerLog[],
  container: string,
): Promise<Omit<OneOffTaskResult, 'taskArn' | 'taskId' | 'cluster' | 'container' | 'durationMs'>> {
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  const keep = options.keepLogLines ?? 20;
  const last: string[] = [];
  const onLog = (l: { container: string; timestamp: number; text: string }) => {
    if (l.container === container) {
      last.push(l.text);
      if (last.length > keep) last.shift();
    }
    options.onLog?.(l);
  };
  let current = task;
  let reported = task.lastStatus;
  let stoppedBy: 'timed-out' | 'interrupted' | undefined;
  // After StopTask, ECS stops the containers within their stop timeout (30 s here; at most 120 s).
  while (current.lastStatus !== 'STOPPED' && Date.now() < deadline + STOP_GRACE_MS) {
    await sleep(options.intervalMs ?? 2000, stoppedBy ? undefined : options.signal);
    if (!stoppedBy && (options.signal?.aborted || Date.now() >= deadline)) {
      stoppedBy = options.signal?.aborted ? 'interrupted' : 'timed-out';
      options.onProgress?.(
        `stopping task ${task.taskId} (${stoppedBy === 'interrupted' ? 'interrupted' : 'timeout reached'})`,
      );
      await stopTask(clients, options.cluster, task.taskArn, stoppedBy);
      if (stoppedBy === 'interrupted') break; // Ctrl-C: stop it and go, do not wait for it
    }
    current = (await describeTasks(clients, options.cluster, [task.taskArn]))[0] ?? current;
    if (current.lastStatus !== reported) options.onProgress?.(`task ${task.taskId}: ${current.lastStatus}`);
    reported = current.lastStatus;
    await readLogs(clients, logs, onLog);
  }
  if (!stoppedBy) await drainLogs(clients, logs, onLog);
  const ended = stoppedBy ? { outcome: stoppedBy } : outcomeOf(current, container);
  return {
    ...ended,
    stopCode: current.stopCode,
    stopReason: current.stoppedReason,
    containers: current.containers,
    lastLogLines: last,
  };
}

async function stopTask(clients: CloudClients, cluster: string, task: string, why: string): Promise<void> {
  const { StopTaskCommand } = await import('@aws-sdk/client-ecs');
  const ecs = await clients.ecs();
  await aws(clients.region, () =>
    ecs.send(new StopTaskCommand({ cluster, task, reason: `shipshape run: ${why}` })),
  );
}

/** New events of each container's stream since the last read (none until the stream exists). */
async function readLogs(
  clients: CloudClients,
  logs: ContainerLog[],
  onLog: (l: { container: string; timestamp: number; text: string }) => void,
): Promise<number> {
  const { GetLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const client = await clients.logs();
  let count = 0;
  for (const l of logs) {
    const res = await client
      .send(
        new GetLogEventsCommand({
          logGroupName: l.group,
          logStreamName: l.stream,
          startFromHead: true,
          ...(l.nextToken ? { nextToken: l.nextToken } : {}),
        }),
      )
      .catch((e: Error) => {
        if (e.name === 'ResourceNotFoundException') return undefined;
        throw e;
      });
    if (!res) continue;
    for (const e of res.events ?? []) {
      onLog({
        container: l.container,
        timestamp: e.timestamp ?? 0,
        text: (e.message ?? '').replace(/\r?\n$/, ''),
      });
      count++;
    }
    l.nextToken = res.nextForwardToken ?? l.nextToken;
  }
  return count;
}

/** After the task stopped: CloudWatch may still be ingesting its last lines; read until quiet (≤ 5 s). */
async function drainLogs(
  clients: CloudClients,
  logs: ContainerLog[],
  onLog: (l: { container: string; timestamp: number; text: string }) => void,
): Promise<void> {
  for (let quiet = 0, round = 0; quiet < 2 && round < 5; round++) {
    quiet = (await readLogs(clients, logs, onLog)) === 0 ? quiet + 1 : 0;
    if (quiet < 2) await sleep(1000, undefined);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
