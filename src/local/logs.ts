import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { AppModel } from '../model/types.js';
import { LABELS, engine } from '../engine/client.js';
import { demuxLogs } from '../engine/logs.js';
import { listLocalContainers } from './ps.js';

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
  if (!options.follow) {
    const all = (await Promise.all(list.map((c) => containerLines(docker, c, options.tail)))).flat();
    all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    for (const l of all) onLine(l);
    return;
  }
  await Promise.all(list.map((c) => followContainer(docker, c, onLine, options)));
}

/** `hello-1`, or `hello-lb` for the gateway. */
function sourceOf(c: Docker.ContainerInfo): string {
  const r = c.Labels[LABELS.replica];
  return `${c.Labels[LABELS.service]}-${r === '0' ? 'lb' : r}`;
}

/** One `<timestamp> <text>` line of the engine's output as a LogLine; undefined for empty lines. */
function parseLine(raw: string, c: Docker.ContainerInfo, stream: LogLine['stream']): LogLine | undefined {
  const line = raw.replace(/\r$/, '');
  if (!line) return undefined;
  const space = line.indexOf(' ');
  return {
    source: sourceOf(c),
    service: c.Labels[LABELS.service] ?? '?',
    stream,
    time: line.slice(0, space),
    text: line.slice(space + 1),
  };
}

/** Every line a container has logged so far (or the last `tail` per stream). */
async function containerLines(
  docker: Docker,
  c: Docker.ContainerInfo,
  tail: number | undefined,
): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const buf = (await docker.getContainer(c.Id).logs({
      stdout: stream === 'stdout',
      stderr: stream === 'stderr',
      timestamps: true,
      ...(tail !== undefined ? { tail } : {}),
    })) as unknown as Buffer;
    for (const raw of demuxLogs(buf).split('\n')) {
      const l = parseLine(raw, c, stream);
      if (l) out.push(l);
    }
  }
  return out;
}

/** Stream a container's lines to `onLine` until it stops or `signal` aborts. */
async function followContainer(
  docker: Docker,
  c: Docker.ContainerInfo,
  onLine: (line: LogLine) => void,
  options: LogsOptions,
): Promise<void> {
  const stream = (await docker.getContainer(c.Id).logs({
    follow: true,
    stdout: true,
    stderr: true,
    timestamps: true,
    ...(options.tail !== undefined ? { tail: options.tail } : {}),
  })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  const outs = { stdout: lineSplitter(c, 'stdout', onLine), stderr: lineSplitter(c, 'stderr', onLine) };
  docker.modem.demuxStream(stream, outs.stdout, outs.stderr);
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('error', () => resolve());
    options.signal?.addEventListener('abort', () => {
      stream.destroy();
      resolve();
    });
  });
}

/** A writable that cuts what it receives into lines and hands each to `onLine`. */
function lineSplitter(
  c: Docker.ContainerInfo,
  stream: LogLine['stream'],
  onLine: (line: LogLine) => void,
): PassThrough {
  const pt = new PassThrough();
  let pending = '';
  pt.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const raw of lines) {
      const l = parseLine(raw, c, stream);
      if (l) onLine(l);
    }
  });
  return pt;
}
