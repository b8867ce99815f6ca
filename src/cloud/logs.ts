import { ExitCode, ShipshapeError } from '../model/errors.js';
import { environmentRecord } from '../deploy/record.js';
import type { AppModel } from '../model/types.js';
import { aws, cloudClients, type CloudClients } from '../aws/clients.js';
import { discoverEnvironment, pick, type CloudEnvironment } from '../aws/environment.js';
import { describeServices, describeTasks, listTasks, type TaskView } from '../aws/ecs.js';

/**
 * `shipshape logs --env NAME`: the CloudWatch Logs of the deployed services (and jobs), read from
 * the log groups their task definitions' awslogs settings name, merged in time order with a
 * compose-like prefix per task (`web-3f2a1b9c |`), with each stopped task's reason inline. With
 * `follow`, FilterLogEvents is polled (1 s, backing off to 5 s while nothing arrives) until
 * the signal aborts.
 */

export interface CloudLogLine {
  /** Milliseconds since the epoch (the event's own timestamp). */
  timestamp: number;
  /** `<service>-<first 8 of the task id>`, and `/<container>` for a helper container. */
  source: string;
  service: string;
  container: string;
  taskId?: string;
  /** `log`: a line the container wrote; `stopped`: a task stopped (why, exit codes). */
  kind: 'log' | 'stopped';
  text: string;
}

/** Where a service's containers log: `<group>`, streams `<prefix>/<container>/<task id>`. */
export interface LogSource {
  service: string;
  group: string;
  prefix: string;
}

export interface CloudLogsOptions {
  /** Only these services and jobs. Default all. */
  services?: string[];
  /** Start of the window, ms since the epoch. */
  since: number;
  /** Only the last N lines of each service. Default all in the window. */
  tail?: number;
  follow?: boolean;
  signal?: AbortSignal;
}

export const POLL_MIN_MS = 1000;
export const POLL_MAX_MS = 5000;
/** Re-read this far back on each poll: CloudWatch may ingest an event after later ones. */
export const FOLLOW_OVERLAP_MS = 15_000;
const STOPPED_EVERY_MS = 10_000;

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Pure: `--since` (`10m`, `2h`, `90s`, `1d`, or an ISO 8601 time) as ms since the epoch. */
export function parseSince(text: string, now: number): number {
  const relative = /^(\d+)\s*([smhdw])$/i.exec(text.trim());
  if (relative) return now - Number(relative[1]) * UNITS[relative[2]!.toLowerCase()]!;
  const absolute = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(absolute)) return absolute;
  throw new ShipshapeError(`--since ${text}: not a duration or a time`, {
    exitCode: ExitCode.usage,
    hint: 'give a duration (30s, 10m, 2h, 1d, 1w) or an ISO 8601 time (2026-11-30T08:00:00Z)',
  });
}

/** Pure: the label of a line's source, like compose's `web-1`: the service and the task. */
export function sourceLabel(service: string, container: string, taskId: string | undefined): string {
  const base = taskId ? `${service}-${taskId.slice(0, 8)}` : service;
  return container === service ? base : `${base}/${container}`;
}

/** Pure: a CloudWatch event of `source`'s group as a line (stream `<prefix>/<container>/<task>`). */
export function logLine(
  source: LogSource,
  event: { timestamp?: number; message?: string; logStreamName?: string },
): CloudLogLine {
  const rest = (event.logStreamName ?? '').slice(source.prefix.length + 1).split('/');
  const container = rest[0] || source.service;
  const taskId = rest[1];
  return {
    timestamp: event.timestamp ?? 0,
    source: sourceLabel(source.service, container, taskId),
    service: source.service,
    container,
    taskId,
    kind: 'log',
    text: (event.message ?? '').replace(/\r?\n$/, ''),
  };
}

/** Pure: a stopped task as a line at the time it stopped: its reason and the containers' exits. */
export function stoppedLine(service: string, task: TaskView): CloudLogLine {
  const exits = task.containers
    .filter((c) => c.exitCode !== undefined || c.reason)
    .map((c) => `${c.name} exit ${c.exitCode ?? '?'}${c.reason ? ` (${c.reason})` : ''}`);
  return {
    timestamp: Date.parse(task.stoppedAt ?? '') || 0,
    source: sourceLabel(service, service, task.taskId),
    service,
    container: service,
    taskId: task.taskId,
    kind: 'stopped',
    text: `task stopped: ${task.stoppedReason ?? 'no reason given'}${exits.length ? `; ${exits.join(', ')}` : ''}`,
  };
}

/** Pure: lines in time order; lines at the same millisecond keep their order (the sort is stable). */
export function mergeByTime(lines: readonly CloudLogLine[]): CloudLogLine[] {
  return [...lines].sort((a, b) => a.timestamp - b.timestamp);
}

/** Pure: the last `n` lines of each service, still in time order. */
export function lastPerService(lines: readonly CloudLogLine[], n: number): CloudLogLine[] {
  const counts = new Map<string, number>();
  const keep: CloudLogLine[] = [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    const seen = counts.get(l.service) ?? 0;
    if (seen >= n) continue;
    counts.set(l.service, seen + 1);
    keep.push(l);
  }
  return keep.reverse();
}

/**
 * Pure: the events a poll has not printed yet. Polls overlap (FOLLOW_OVERLAP_MS), so an event is
 * known by its stream and id; ids older than the overlap are forgotten to keep memory bounded.
 */
export class SeenEvents {
  private readonly seen = new Map<string, number>();

  fresh<E extends { eventId?: string; logStreamName?: string; timestamp?: number }>(
    group: string,
    events: readonly E[],
  ): E[] {
    return events.filter((e) => {
      const key = `${group}\0${e.logStreamName}\0${e.eventId}`;
      if (this.seen.has(key)) return false;
      this.seen.set(key, e.timestamp ?? 0);
      return true;
    });
  }

  forgetBefore(timestamp: number): void {
    for (const [key, t] of this.seen) if (t < timestamp) this.seen.delete(key);
  }

  get size(): number {
    return this.seen.size;
  }
}

/** Print the environment's logs through `onLine`; with `follow`, until `signal` aborts. */
export async function cloudLogs(
  app: AppModel,
  onLine: (line: CloudLogLine) => void,
  options: CloudLogsOptions,
): Promise<void> {
  const clients = cloudClients(app.x.aws.region);
  try {
    const env = await discoverEnvironment(app, clients, environmentRecord(app, app.x.environment));
    const picked = pick(env, options.services ?? []);
    const sources = await logSources(clients, env, picked);
    const stopped = new StoppedTasks(clients, picked);
    const seen = new SeenEvents();
    const now = Date.now();
    const first = [...(await readWindow(clients, sources, options.since, now, seen))];
    first.push(...(await stopped.since(options.since)));
    const ordered = mergeByTime(first);
    for (const l of options.tail === undefined ? ordered : lastPerService(ordered, options.tail)) onLine(l);
    if (options.follow) await follow(clients, sources, stopped, seen, now, onLine, options.signal);
  } finally {
    clients.destroy();
  }
}

async function follow(
  clients: CloudClients,
  sources: LogSource[],
  stopped: StoppedTasks,
  seen: SeenEvents,
  from: number,
  onLine: (line: CloudLogLine) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  let cursor = from;
  let interval = POLL_MIN_MS;
  let lastStoppedCheck = Date.now();
  while (!signal?.aborted) {
    await sleep(interval, signal);
    if (signal?.aborted) return;
    const now = Date.now();
    const lines = await readWindow(clients, sources, cursor - FOLLOW_OVERLAP_MS, now, seen);
    if (now - lastStoppedCheck >= STOPPED_EVERY_MS) {
      lines.push(...(await stopped.since(cursor - FOLLOW_OVERLAP_MS)));
      lastStoppedCheck = now;
    }
    for (const l of mergeByTime(lines)) onLine(l);
    cursor = now;
    seen.forgetBefore(cursor - 2 * FOLLOW_OVERLAP_MS);
    interval = lines.length > 0 ? POLL_MIN_MS : Math.min(interval * 2, POLL_MAX_MS);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Where the picked services and jobs log: each container's awslogs group and stream prefix, from
 * the task definitions ECS runs (every deployment's, so a rollout's old and new tasks both show).
 */
export async function logSources(
  clients: CloudClients,
  env: CloudEnvironment,
  picked: ReturnType<typeof pick>,
): Promise<LogSource[]> {
  const described = await describeServices(clients, picked.services);
  const definitions: { service: string; arn: string }[] = [];
  for (const s of picked.services) {
    const d = described.get(s.arn);
    const arns = new Set(
      [d?.taskDefinition, ...(d?.deployments ?? []).map((x) => x.taskDefinition), s.taskDefinition].filter(
        (a): a is string => Boolean(a),
      ),
    );
    for (const arn of arns) definitions.push({ service: s.name, arn });
  }
  for (const j of picked.jobs) definitions.push({ service: j.name, arn: j.taskDefinition });
  const { DescribeTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
  const ecs = await clients.ecs();
  const sources = new Map<string, LogSource>();
  for (const { service, arn } of definitions) {
    const def = await aws(clients.region, () =>
      ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })),
    );
    for (const c of def.taskDefinition?.containerDefinitions ?? []) {
      const o = c.logConfiguration?.logDriver === 'awslogs' ? c.logConfiguration.options : undefined;
      const group = o?.['awslogs-group'];
      const prefix = o?.['awslogs-stream-prefix'];
      if (group && prefix) sources.set(`${group}\0${prefix}`, { service, group, prefix });
    }
  }
  if (sources.size === 0 && definitions.length > 0) {
    throw new ShipshapeError(
      `${env.app} (${env.environment}): no awslogs log group in the task definitions`,
      {
        exitCode: ExitCode.failure,
        hint: 'the services log elsewhere (a log router?); shipshape reads only the awslogs driver',
      },
    );
  }
  return [...sources.values()];
}

/** Every event of `sources` from `start` to `end` not seen yet, as lines. */
async function readWindow(
  clients: CloudClients,
  sources: readonly LogSource[],
  start: number,
  end: number,
  seen: SeenEvents,
): Promise<CloudLogLine[]> {
  const { FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const logs = await clients.logs();
  const out: CloudLogLine[] = [];
  for (const source of sources) {
    let nextToken: string | undefined;
    do {
      const res = await aws(clients.region, () =>
        logs
          .send(
            new FilterLogEventsCommand({
              logGroupName: source.group,
              logStreamNamePrefix: `${source.prefix}/`,
              startTime: Math.max(0, Math.floor(start)),
              endTime: Math.ceil(end),
              nextToken,
            }),
          )
          .catch((e: Error) => {
            // A group that does not exist (yet) has no lines to show.
            if (e.name === 'ResourceNotFoundException') return { events: [], nextToken: undefined };
            throw e;
          }),
      );
      for (const e of seen.fresh(source.group, res.events ?? [])) out.push(logLine(source, e));
      nextToken = res.nextToken;
    } while (nextToken);
  }
  return out;
}

/** Stopped tasks of the picked services and jobs, each reported once. */
class StoppedTasks {
  private readonly reported = new Set<string>();

  constructor(
    private readonly clients: CloudClients,
    private readonly picked: ReturnType<typeof pick>,
  ) {}

  async since(start: number): Promise<CloudLogLine[]> {
    const out: CloudLogLine[] = [];
    for (const s of this.picked.services) {
      const arns = await listTasks(this.clients, {
        cluster: s.cluster,
        serviceName: s.name,
        desiredStatus: 'STOPPED',
      });
      out.push(
        ...this.lines(s.name, await describeTasks(this.clients, s.cluster, arns), `service:${s.name}`, start),
      );
    }
    for (const j of this.picked.jobs) {
      if (!j.cluster) continue;
      const family = (j.taskDefinition.split('/').pop() ?? '').replace(/:\d+$/, '');
      const arns = await listTasks(this.clients, { cluster: j.cluster, family, desiredStatus: 'STOPPED' });
      out.push(...this.lines(j.name, await describeTasks(this.clients, j.cluster, arns), undefined, start));
    }
    return out;
  }

  private lines(
    service: string,
    tasks: TaskView[],
    group: string | undefined,
    start: number,
  ): CloudLogLine[] {
    const out: CloudLogLine[] = [];
    for (const t of tasks) {
      // ECS filters by service itself; the group check keeps other tasks out where an emulator does not.
      if ((group && t.group !== group) || !t.stoppedAt || this.reported.has(t.taskArn)) continue;
      if (Date.parse(t.stoppedAt) < start) continue;
      this.reported.add(t.taskArn);
      out.push(stoppedLine(service, t));
    }
    return out;
  }
}
