import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { AppModel } from '../model/types.js';
import { LABELS, engine, removeByLabel, type RemovedCounts } from '../engine/client.js';
import { demuxLogs } from '../engine/logs.js';
import { LOCAL_ROLES, isLocalContainer } from './plan.js';

/**
 * Remove every container and network `up` made for the app (and its volumes with `volumes`),
 * found by label: replicas, then gateways, then the shared networks and volumes. Objects of the
 * same app made by other commands (slim, tests) carry other roles and are left alone.
 */
export async function down(
  app: AppModel | string,
  options: { volumes?: boolean; docker?: Docker } = {},
): Promise<RemovedCounts> {
  const name = typeof app === 'string' ? app : app.name;
  const total: RemovedCounts = { containers: 0, networks: 0, volumes: 0 };
  for (const role of [LOCAL_ROLES.replica, LOCAL_ROLES.gateway, LOCAL_ROLES.shared]) {
    const n = await removeByLabel(
      { [LABELS.managed]: undefined, [LABELS.app]: name, [LABELS.role]: role },
      options,
    );
    total.containers += n.containers;
    total.networks += n.networks;
    total.volumes += n.volumes;
  }
  return total;
}

/** Every container `up` made for the app (replicas and gateways), running or not. */
export async function listLocalContainers(app: string, docker: Docker): Promise<Docker.ContainerInfo[]> {
  const filters = JSON.stringify({ label: [`${LABELS.app}=${app}`, LABELS.managed] });
  return (await docker.listContainers({ all: true, filters })).filter((c) => isLocalContainer(c.Labels));
}

export interface ReplicaStatus {
  service: string;
  /** 1-based replica, or `lb` for the gateway. */
  replica: string;
  name: string;
  id: string;
  state: string;
  /** `healthy`, `unhealthy`, `starting`, or `-` without a healthcheck. */
  health: string;
  /** Published ports as `host:port->target/tcp`. */
  ports: string[];
}

/** One row per container of the app, in service order then replica order. */
export async function ps(app: AppModel, docker: Docker = engine()): Promise<ReplicaStatus[]> {
  const list = await listLocalContainers(app.name, docker);
  const order = new Map(app.services.map((s, i) => [s.name, i]));
  const rows = list.map((c): ReplicaStatus => {
    const replica = c.Labels[LABELS.replica] ?? '?';
    const health =
      /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '') ?? '-';
    return {
      service: c.Labels[LABELS.service] ?? '?',
      replica: replica === '0' ? 'lb' : replica,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      id: c.Id.slice(0, 12),
      state: c.State,
      health,
      ports: c.Ports.filter((p) => p.PublicPort).map(
        (p) => `${p.IP}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`,
      ),
    };
  });
  const replicaKey = (r: string) => (r === 'lb' ? 0 : Number(r));
  return rows.sort(
    (a, b) =>
      (order.get(a.service) ?? 99) - (order.get(b.service) ?? 99) ||
      a.service.localeCompare(b.service) ||
      replicaKey(a.replica) - replicaKey(b.replica),
  );
}

export interface LogLine {
  /** `service-N` or `service-lb`. */
  source: string;
  service: string;
  stream: 'stdout' | 'stderr';
  /** RFC 3339 timestamp from the engine. */
  time: string;
  text: string;
}

export interface LogsOptions {
  /** Only these services. Default all. */
  services?: string[];
  /** Keep streaming new lines until `signal` aborts. Default false. */
  follow?: boolean;
  /** Lines per container from the end. Default all. */
  tail?: number;
  signal?: AbortSignal;
  docker?: Docker;
}

/**
 * Logs of the app's containers, merged: without `follow`, all lines sorted by time; with it,
 * lines as they arrive. Calls `onLine` for each line.
 */
export async function logs(
  app: AppModel,
  onLine: (line: LogLine) => void,
  options: LogsOptions = {},
): Promise<void> {
  const docker = options.docker ?? engine();
  const list = (await listLocalContainers(app.name, docker)).filter(
    (c) => !options.services?.length || options.services.includes(c.Labels[LABELS.service] ?? ''),
  );
  const source = (c: Docker.ContainerInfo) => {
    const r = c.Labels[LABELS.replica];
    return `${c.Labels[LABELS.service]}-${r === '0' ? 'lb' : r}`;
  };
  const parse = (raw: string, c: Docker.ContainerInfo, stream: LogLine['stream']): LogLine | undefined => {
    const line = raw.replace(/\r$/, '');
    if (!line) return undefined;
    const space = line.indexOf(' ');
    return {
      source: source(c),
      service: c.Labels[LABELS.service] ?? '?',
      stream,
      time: line.slice(0, space),
      text: line.slice(space + 1),
    };
  };
  if (!options.follow) {
    const all: LogLine[] = [];
    for (const c of list) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const buf = (await docker.getContainer(c.Id).logs({
          stdout: stream === 'stdout',
          stderr: stream === 'stderr',
          timestamps: true,
          ...(options.tail !== undefined ? { tail: options.tail } : {}),
        })) as unknown as Buffer;
        for (const raw of demuxLogs(buf).split('\n')) {
          const l = parse(raw, c, stream);
          if (l) all.push(l);
        }
      }
    }
    all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    for (const l of all) onLine(l);
    return;
  }
  await Promise.all(
    list.map(async (c) => {
      const stream = (await docker.getContainer(c.Id).logs({
        follow: true,
        stdout: true,
        stderr: true,
        timestamps: true,
        ...(options.tail !== undefined ? { tail: options.tail } : {}),
      })) as unknown as NodeJS.ReadableStream & { destroy(): void };
      const outs = { stdout: new PassThrough(), stderr: new PassThrough() };
      for (const [name, pt] of Object.entries(outs) as [LogLine['stream'], PassThrough][]) {
        let pending = '';
        pt.on('data', (chunk: Buffer) => {
          pending += chunk.toString('utf8');
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const raw of lines) {
            const l = parse(raw, c, name);
            if (l) onLine(l);
          }
        });
      }
      docker.modem.demuxStream(stream, outs.stdout, outs.stderr);
      await new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.on('error', () => resolve());
        options.signal?.addEventListener('abort', () => {
          stream.destroy();
          resolve();
        });
      });
    }),
  );
}
