/**
 * Debian's `docker-compose` 1.29 as a second opinion: `docker-compose config` prints the
 * normalized compose file without talking to an engine. These helpers run it on a test project
 * and turn its output into the shape of shipshape's model, field by field.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import type { PortMapping, ServiceVolume } from '../../src/model/types.js';

const run = promisify(execFile);

/** The docker-compose version, or undefined when the binary is missing (tests then skip). */
export function dockerComposeVersion(): string | undefined {
  const r = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export type V1Service = Record<string, unknown>;

export interface V1Result {
  services?: Record<string, V1Service>;
  error?: string;
}

/** `docker-compose [-f ...] [--env-file ...] config` in `dir`, with only `env` (plus PATH, HOME). */
export async function dockerComposeConfig(
  dir: string,
  opts: { files?: string[]; env?: Record<string, string>; envFile?: string } = {},
): Promise<V1Result> {
  const args = [
    ...(opts.files ?? []).flatMap((f) => ['-f', f]),
    ...(opts.envFile ? ['--env-file', opts.envFile] : []),
    'config',
  ];
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...opts.env };
  try {
    const { stdout } = await run('docker-compose', args, { cwd: dir, env, timeout: 60_000 });
    return { services: (parse(stdout) as { services: Record<string, V1Service> }).services };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { error: (err.stderr || err.message).trim() };
  }
}

/** docker-compose config writes `$` as `$$` so its output can be read again. */
const unescape = (v: unknown): string => String(v).replace(/\$\$/g, '$');

export function v1Environment(svc: V1Service): Record<string, string> {
  const env = (svc.environment ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(env)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, unescape(v)]),
  );
}

/** Ports as the model has them: 1.29 writes mappings, or `ip:published:target/proto` strings. */
export function v1Ports(svc: V1Service): PortMapping[] {
  return ((svc.ports ?? []) as unknown[]).map((p): PortMapping => {
    if (typeof p === 'string') {
      const [spec, protocol] = p.split('/') as [string, string];
      const parts = spec.split(':');
      const target = Number(parts.pop());
      const published = Number(parts.pop());
      return { target, published, hostIp: parts.join(':') || undefined, protocol: protocol as 'tcp' | 'udp' };
    }
    const m = p as Record<string, unknown>;
    const [start, end] = m.published === undefined ? [] : String(m.published).split('-').map(Number);
    const out: PortMapping = {
      target: Number(m.target),
      published: start,
      hostIp: m.host_ip === undefined ? undefined : String(m.host_ip),
      protocol: String(m.protocol ?? 'tcp') as 'tcp' | 'udp',
    };
    if (end !== undefined) out.publishedEnd = end;
    return out;
  });
}

export function v1Volumes(svc: V1Service): ServiceVolume[] {
  return ((svc.volumes ?? []) as unknown[]).map((v): ServiceVolume => {
    if (typeof v !== 'string') {
      const m = v as Record<string, unknown>;
      return {
        type: m.type as ServiceVolume['type'],
        source: m.source as string | undefined,
        target: String(m.target),
        readOnly: m.read_only === true,
      };
    }
    const parts = v.split(':');
    if (parts.length === 1) return { type: 'volume', source: undefined, target: parts[0]!, readOnly: false };
    const [source, target, mode] = parts as [string, string, string | undefined];
    return {
      type: source.startsWith('/') ? 'bind' : 'volume',
      source,
      target,
      readOnly: (mode ?? '').split(',').includes('ro'),
    };
  });
}

/** How docker-py (behind docker-compose 1.29) turns a string command into argv: `shlex.split`. */
export function v1Argv(command: unknown): string[] | undefined {
  if (command === undefined || command === null) return undefined;
  if (Array.isArray(command)) return command.map(unescape);
  const r = spawnSync(
    'python3',
    ['-c', 'import json,shlex,sys; print(json.dumps(shlex.split(sys.argv[1])))', unescape(command)],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(r.stdout) as string[];
}
