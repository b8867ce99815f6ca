import { existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { isRemoteContext, listOrDictToMap } from './canonical.js';
import { EnvFileError, parseEnvFile, parseRawEnvFile } from './dotenv.js';
import { ShipshapeError } from './errors.js';
import { serviceExtensionSchema } from './extension.js';
import { isObj, type Obj } from './merge.js';
import { isSymlink, reallyInside } from './host-paths.js';
import { invalidImageRef } from './image-ref.js';
import { ShellwordsError, splitCommand } from './shellwords.js';
import { readTextFile } from './text-file.js';
import type {
  BuildSpec,
  Dependency,
  DependencyCondition,
  Diagnostic,
  HealthCheck,
  PortMapping,
  ResourceSpec,
  ServiceModel,
  ServiceSecret,
  ServiceVolume,
  SourceLocation,
  TmpfsMount,
} from './types.js';
import {
  UnitError,
  parseBytes,
  parseCpus,
  parseDurationMs,
  parsePortBounds,
  parsePortRange,
} from './units.js';
import { parseExtension } from './zod-diagnostics.js';
import { formatPath, type DocPath } from './yaml-source.js';

export interface NormalizeContext {
  projectDir: string;
  /** Variables for `environment: [VAR]` entries without a value. */
  env: Readonly<Record<string, string | undefined>>;
  locate(path: DocPath): SourceLocation;
  /** Top-level `configs` (a file config is mounted like a read-only bind of its file). Default none. */
  configs?: Record<string, unknown>;
  /** The path as the user wrote it (in the file `locate` names), when it differs from `path`. */
  writtenPath?(path: DocPath): DocPath;
  warnings: Diagnostic[];
}

export function fail(ctx: NormalizeContext, path: DocPath, message: string, hint?: string): never {
  const written = ctx.writtenPath?.(path) ?? path;
  throw new ShipshapeError(message, { location: ctx.locate(path), path: formatPath(written), hint });
}

/** Run a unit parser; turn its error into a located user error. */
function unit<T>(ctx: NormalizeContext, path: DocPath, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof UnitError) fail(ctx, path, e.message, e.hint);
    throw e;
  }
}

function stringList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

/**
 * A string command or entrypoint is split into words like compose-go does (see shellwords.ts):
 * no expansion, no globbing; `$$` was already unescaped to `$` by interpolation.
 */
function commandList(ctx: NormalizeContext, path: DocPath, v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.map(String);
  let split;
  try {
    split = splitCommand(String(v));
  } catch (e) {
    if (e instanceof ShellwordsError) {
      fail(
        ctx,
        path,
        `cannot split "${String(v)}" into words: ${e.message}`,
        'use the list form, e.g. ["sh", "-c", "..."]',
      );
    }
    throw e;
  }
  if (split.truncated) {
    ctx.warnings.push({
      severity: 'warning',
      message: `"${split.truncated.operator}" is not run by a shell here: compose keeps only ${JSON.stringify(split.argv)} and drops "${split.truncated.dropped}"`,
      path: formatPath(ctx.writtenPath?.(path) ?? path),
      location: ctx.locate(path),
      hint: `to run it through a shell, write ["sh", "-c", ${JSON.stringify(String(v))}]`,
    });
  }
  return split.argv;
}

function normalizeBuild(ctx: NormalizeContext, base: DocPath, v: unknown): BuildSpec | undefined {
  if (v === undefined || v === null) return undefined;
  const b: Obj = typeof v === 'string' ? { context: v } : (v as Obj);
  const inline =
    b.dockerfile_inline === undefined || b.dockerfile_inline === null
      ? undefined
      : String(b.dockerfile_inline);
  if (inline !== undefined && b.dockerfile !== undefined && b.dockerfile !== null) {
    fail(
      ctx,
      [...base, 'dockerfile_inline'],
      'build sets both dockerfile and dockerfile_inline',
      'keep one: the Dockerfile in a file (`dockerfile:`) or written here (`dockerfile_inline:`)',
    );
  }
  // Relative contexts were made absolute per file (canonical.ts); no context means the project directory.
  const context = String(b.context ?? ctx.projectDir);
  const args: Record<string, string> = {};
  for (const [k, val] of Object.entries(listOrDictToMap(b.args))) {
    const value = val ?? ctx.env[k];
    if (value !== undefined && value !== null) args[k] = String(value);
  }
  return {
    context: isRemoteContext(context) ? context : resolve(ctx.projectDir, context),
    dockerfile: String(b.dockerfile ?? 'Dockerfile'),
    ...(inline !== undefined ? { dockerfileInline: inline } : {}),
    args,
    target: b.target === undefined ? undefined : String(b.target),
  };
}

/** Ports in canonical (long) form: `published` may be a range, `"8000-9000"`. */
function normalizePorts(ctx: NormalizeContext, base: DocPath, v: unknown): PortMapping[] {
  const out: PortMapping[] = [];
  (Array.isArray(v) ? v : []).forEach((p, i) => {
    const path = [...base, i];
    if (!isObj(p)) return;
    const targets = unit(ctx, [...path, 'target'], () =>
      parsePortRange(String(p.target ?? ''), 'container port'),
    );
    const published =
      p.published === undefined || p.published === null || p.published === ''
        ? undefined
        : unit(ctx, [...path, 'published'], () => parsePublished(String(p.published)));
    const protocol = String(p.protocol ?? 'tcp').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp') {
      fail(
        ctx,
        [...path, 'protocol'],
        `unsupported protocol "${protocol}"`,
        'use tcp or udp (shipshape deploys to AWS Fargate, which has no sctp)',
      );
    }
    const hostIp = p.host_ip === undefined || p.host_ip === '' ? undefined : String(p.host_ip);
    targets.forEach((target, j) => {
      const mapping: PortMapping = { target, published: undefined, hostIp, protocol };
      if (p.app_protocol !== undefined && p.app_protocol !== null)
        mapping.appProtocol = String(p.app_protocol);
      if (published && targets.length > 1) mapping.published = published.start + j;
      else if (published) {
        mapping.published = published.start;
        if (published.end !== published.start) mapping.publishedEnd = published.end;
      }
      out.push(mapping);
    });
  });
  return out;
}

/** A host port `8080` or range `8083-9000` (the engine picks a free port of the range). */
function parsePublished(s: string): { start: number; end: number } {
  const [start, end] = parsePortBounds(s, 'host port');
  return { start, end };
}

function normalizeExpose(ctx: NormalizeContext, base: DocPath, v: unknown): { tcp: number[]; udp: number[] } {
  const out = { tcp: [] as number[], udp: [] as number[] };
  (Array.isArray(v) ? v : []).forEach((e, i) => {
    const udp = /\/udp$/i.test(String(e));
    const s = String(e).replace(/\/(tcp|udp)$/i, '');
    (udp ? out.udp : out.tcp).push(...unit(ctx, [...base, i], () => parsePortRange(s, 'exposed port')));
  });
  return out;
}

/** Ports declared only over UDP: in `ports` (`/udp`) or `expose`, and nowhere over TCP. */
function udpOnly(ports: PortMapping[], expose: { tcp: number[]; udp: number[] }): number[] {
  const tcp = new Set([...ports.filter((p) => p.protocol === 'tcp').map((p) => p.target), ...expose.tcp]);
  const udp = [...ports.filter((p) => p.protocol === 'udp').map((p) => p.target), ...expose.udp];
  return [...new Set(udp.filter((p) => !tcp.has(p)))].sort((a, b) => a - b);
}

/** Compose `links` (`- db`, `- api:backend`): the service, and the name this one calls it by. */
function normalizeLinks(v: unknown): { service: string; alias: string }[] {
  return stringList(v).map((l) => {
    const [service, alias] = l.split(':') as [string, string | undefined];
    return { service, alias: alias ?? service };
  });
}

/**
 * `env_file`s in order (05-services.md#env_file), each in its `format`. Values may use `${VAR}`:
 * the project's variables win, then the service's `environment`, then earlier env files.
 */
function readEnvFiles(
  ctx: NormalizeContext,
  base: DocPath,
  v: unknown,
  explicit: Record<string, string | null>,
): Record<string, string> {
  const entries = Array.isArray(v) ? v : [];
  const vars: Record<string, string> = {};
  const lookup = (name: string) => ctx.env[name] ?? explicit[name] ?? undefined;
  entries.forEach((entry, i) => {
    const path = [...base, i];
    if (!isObj(entry)) return;
    const abs = String(entry.path);
    if (!reallyInside(ctx.projectDir, abs)) {
      // Its lines would become the container's environment (and the cloud task definition's).
      fail(
        ctx,
        path,
        `env_file ${abs} is outside the project directory ${ctx.projectDir}${isSymlink(abs) ? ' (through a symlink)' : ''}`,
        'move the file into the project, or pass its variables through the shell or --env-file',
      );
    }
    if (!existsSync(abs)) {
      if (entry.required === false) return;
      fail(
        ctx,
        path,
        `env_file ${relative(ctx.projectDir, abs)} not found`,
        `create ${abs}, fix the path, or mark it \`required: false\``,
      );
    }
    const format = entry.format === undefined ? undefined : String(entry.format);
    if (format !== undefined && format !== 'raw') {
      fail(
        ctx,
        [...path, 'format'],
        `unsupported env_file format "${format}"`,
        'leave it out, or use format: raw',
      );
    }
    try {
      const parse = format === 'raw' ? parseRawEnvFile : parseEnvFile;
      const { unset } = parse(
        readTextFile(abs, { what: 'env file', location: ctx.locate(path), path: formatPath(path) }),
        lookup,
        vars,
      );
      for (const u of unset) {
        ctx.warnings.push({
          severity: 'warning',
          message: `variable ${u.variable} is not set; using an empty string`,
          location: { file: abs, line: u.line, column: 1 },
          hint: `set ${u.variable} in the environment or in .env, or write \${${u.variable}:-default}`,
        });
      }
    } catch (e) {
      if (e instanceof EnvFileError) {
        throw new ShipshapeError(`invalid env file: ${e.message}`, {
          location: { file: abs, line: e.line, column: 1 },
          hint: 'write VAR=value per line; quote values with spaces or # in "double" or \'single\' quotes',
        });
      }
      throw e;
    }
  });
  return vars;
}

/**
 * `environment` with bare names resolved from the project's variables. A name that stays without
 * a value is null: it is left out of the container, also when an env file set it (05-services.md).
 */
function explicitEnvironment(
  ctx: NormalizeContext,
  base: DocPath,
  v: unknown,
): Record<string, string | null> {
  const env: Record<string, string | null> = {};
  for (const [k, val] of Object.entries(listOrDictToMap(v))) {
    if (/\s$/.test(k)) {
      fail(
        ctx,
        [...base, k],
        `environment variable "${k}" is declared with a trailing space`,
        'remove the space before "="',
      );
    }
    env[k] = val === null || val === undefined ? (ctx.env[k] ?? null) : String(val);
  }
  return env;
}

function normalizeHealthcheck(ctx: NormalizeContext, base: DocPath, v: unknown): HealthCheck | undefined {
  if (!isObj(v)) return undefined;
  const disabled = v.disable === true || (Array.isArray(v.test) && v.test[0] === 'NONE');
  let test: string[];
  if (disabled) test = ['NONE'];
  else if (typeof v.test === 'string') test = ['CMD-SHELL', v.test];
  else if (Array.isArray(v.test) && ['CMD', 'CMD-SHELL'].includes(String(v.test[0])))
    test = v.test.map(String);
  else if (v.test === undefined) test = [];
  else {
    return fail(
      ctx,
      [...base, 'test'],
      'healthcheck test must start with "CMD", "CMD-SHELL" or "NONE"',
      'e.g. ["CMD", "curl", "-f", "http://localhost/"]',
    );
  }
  const dur = (key: string, dflt: number) =>
    v[key] === undefined ? dflt : unit(ctx, [...base, key], () => parseDurationMs(v[key]));
  const retries = v.retries === undefined ? 3 : Number(v.retries);
  if (!Number.isInteger(retries) || retries < 0)
    fail(ctx, [...base, 'retries'], 'retries must be a whole number', 'e.g. retries: 3');
  return {
    test,
    intervalMs: dur('interval', 30_000),
    timeoutMs: dur('timeout', 30_000),
    retries,
    startPeriodMs: dur('start_period', 0),
    disabled,
  };
}

const CONDITIONS: DependencyCondition[] = [
  'service_started',
  'service_healthy',
  'service_completed_successfully',
];

function normalizeDependsOn(ctx: NormalizeContext, base: DocPath, v: unknown): Dependency[] {
  if (!isObj(v)) return [];
  return Object.entries(v).map(([service, spec]) => {
    const s = isObj(spec) ? spec : {};
    const condition = String(s.condition ?? 'service_started') as DependencyCondition;
    if (!CONDITIONS.includes(condition)) {
      fail(
        ctx,
        [...base, service, 'condition'],
        `unknown condition "${condition}"`,
        `use one of ${CONDITIONS.join(', ')}`,
      );
    }
    return { service, condition, required: s.required !== false, restart: s.restart === true };
  });
}

/** Volumes in canonical (long) form; bind sources are already absolute (canonical.ts). */
function normalizeVolumes(ctx: NormalizeContext, base: DocPath, v: unknown): ServiceVolume[] {
  return (Array.isArray(v) ? v : []).filter(isObj).map((vol, i): ServiceVolume => {
    const type = String(vol.type ?? 'volume') as ServiceVolume['type'];
    if (typeof vol.target !== 'string' || vol.target === '')
      fail(ctx, [...base, i], 'volume has no target', 'write SOURCE:TARGET, e.g. "./data:/data"');
    const source = vol.source === undefined || vol.source === '' ? undefined : String(vol.source);
    return {
      type,
      source: type === 'bind' && source ? resolve(ctx.projectDir, source) : source,
      target: vol.target,
      readOnly: vol.read_only === true,
    };
  });
}

function normalizeSecrets(v: unknown): ServiceSecret[] {
  return (Array.isArray(v) ? v : []).filter(isObj).map((s) => {
    const source = String(s.source);
    const target = s.target === undefined ? source : String(s.target);
    return { source, target: target.startsWith('/') ? target : `/run/secrets/${target}` };
  });
}

function normalizeResources(ctx: NormalizeContext, base: DocPath, v: unknown): ResourceSpec {
  if (!isObj(v)) return {};
  const out: ResourceSpec = {};
  if (v.cpus !== undefined) out.cpus = unit(ctx, [...base, 'cpus'], () => parseCpus(v.cpus));
  if (v.memory !== undefined) out.memoryBytes = unit(ctx, [...base, 'memory'], () => parseBytes(v.memory));
  if (v.pids !== undefined) {
    const pids = Number(v.pids);
    if (!Number.isInteger(pids) || pids < 1)
      fail(ctx, [...base, 'pids'], 'pids must be a positive whole number', 'e.g. pids: 256');
    out.pids = pids;
  }
  return out;
}

function intOrFail(ctx: NormalizeContext, path: DocPath, v: unknown, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    fail(ctx, path, `expected a whole number, got "${String(v)}"`, 'e.g. replicas: 2');
  return n;
}

/** A service as compose writes it; `loadApp` adds the production intent (src/model/intent). */
export type NormalizedService = Omit<ServiceModel, 'intent' | 'public'>;

/** Compose `tmpfs`: a path, optionally followed by `:options`. The one tmpfs parser. */
export function parseTmpfs(entry: string): TmpfsMount {
  const i = entry.indexOf(':');
  return i < 0 ? { target: entry, options: '' } : { target: entry.slice(0, i), options: entry.slice(i + 1) };
}

/** Other names callers may use for a service: container_name, hostname, network aliases. */
function aliasesOf(raw: Obj): string[] {
  const out = new Set<string>();
  if (typeof raw.container_name === 'string') out.add(raw.container_name);
  if (typeof raw.hostname === 'string') out.add(raw.hostname);
  if (isObj(raw.networks)) {
    for (const n of Object.values(raw.networks)) {
      if (isObj(n) && Array.isArray(n.aliases)) for (const a of n.aliases) out.add(String(a));
    }
  }
  return [...out].sort();
}

/**
 * Compose `configs` of a service: a config with a `file` is mounted read-only at its target
 * (default `/<name>`), as compose does outside swarm — so it is judged and carried like any bind
 * mount (baked into the cloud image from the project, refused from the host). Any other config
 * (`content`, `environment`, `external`) is named for the gate to refuse, never dropped.
 */
function configMounts(
  ctx: NormalizeContext,
  v: unknown,
): { mounts: ServiceVolume[]; unsupported: NormalizedService['hostSettings'] } {
  const out = { mounts: [] as ServiceVolume[], unsupported: [] as NormalizedService['hostSettings'] };
  for (const c of (Array.isArray(v) ? v : []).filter(isObj)) {
    const name = String(c.source);
    const def = ctx.configs?.[name];
    const file = isObj(def) && typeof def.file === 'string' ? def.file : undefined;
    const target = c.target === undefined ? `/${name}` : String(c.target);
    if (file)
      out.mounts.push({ type: 'bind', source: resolve(ctx.projectDir, file), target, readOnly: true });
    else out.unsupported.push({ key: 'configs', value: name });
  }
  return out;
}

/** Compose keys that only a Docker host has (the gate refuses them; see `ServiceModel.hostSettings`). */
/** Docker host settings Fargate does not have, refused as they are (mounts.ts says why). */
export const DOCKER_HOST_ONLY = [
  'mac_address',
  'shm_size',
  'cpuset',
  'cpu_rt_runtime',
  'cpu_rt_period',
  'oom_kill_disable',
  'mem_swappiness',
  'memswap_limit',
] as const;

const HOST_KEYS = [
  'userns_mode',
  'uts',
  'cgroup',
  'cgroup_parent',
  'runtime',
  'isolation',
  ...DOCKER_HOST_ONLY,
];

function hostSettingsOf(raw: Obj, resources: Obj): NormalizedService['hostSettings'] {
  const out: NormalizedService['hostSettings'] = [];
  for (const key of HOST_KEYS)
    if (raw[key] !== undefined && raw[key] !== null) out.push({ key, value: String(raw[key]) });
  for (const [k, v] of Object.entries(listOrDictToMap(raw.sysctls)))
    out.push({ key: 'sysctls', value: v === null || v === undefined ? k : `${k}=${String(v)}` });
  for (const key of [
    'device_cgroup_rules',
    'volumes_from',
    'gpus',
    'external_links',
    'dns',
    'dns_search',
    'dns_opt',
  ])
    for (const v of stringList(raw[key])) out.push({ key, value: v });
  for (const [k, v] of Object.entries(listOrDictToMap(raw.extra_hosts)))
    out.push({ key: 'extra_hosts', value: v === null || v === undefined ? k : `${k}:${String(v)}` });
  for (const key of ['storage_opt', 'blkio_config'])
    if (raw[key] !== undefined && raw[key] !== null) out.push({ key, value: JSON.stringify(raw[key]) });
  const reserved = isObj(resources.reservations) ? resources.reservations : {};
  for (const d of Array.isArray(reserved.devices) ? reserved.devices : [])
    out.push({ key: 'deploy.resources.reservations.devices', value: JSON.stringify(d) });
  return out;
}

/** `deploy.resources.limits`, else the legacy service-level `mem_limit` / `cpus` / `pids_limit`. */
function serviceLimits(ctx: NormalizeContext, base: DocPath, raw: Obj, written: unknown): ResourceSpec {
  const p = (...rest: (string | number)[]): DocPath => [...base, ...rest];
  const limits = normalizeResources(ctx, p('deploy', 'resources', 'limits'), written);
  if (limits.memoryBytes === undefined && raw.mem_limit !== undefined) {
    limits.memoryBytes = unit(ctx, p('mem_limit'), () => parseBytes(raw.mem_limit));
  }
  if (limits.cpus === undefined && raw.cpus !== undefined)
    limits.cpus = unit(ctx, p('cpus'), () => parseCpus(raw.cpus));
  if (limits.pids === undefined && raw.pids_limit !== undefined)
    limits.pids = intOrFail(ctx, p('pids_limit'), raw.pids_limit, 0);
  return limits;
}

/** `env_file`s, then `environment` on top: it wins, and a bare name without a value removes the variable. */
function serviceEnvironment(ctx: NormalizeContext, base: DocPath, raw: Obj): Record<string, string> {
  const explicit = explicitEnvironment(ctx, [...base, 'environment'], raw.environment);
  const environment = readEnvFiles(ctx, [...base, 'env_file'], raw.env_file, explicit);
  for (const [k, val] of Object.entries(explicit)) {
    if (val === null) delete environment[k];
    else environment[k] = val;
  }
  return environment;
}

/** The service's `x-shipshape` block, validated, in the model's spelling. */
function serviceExtension(ctx: NormalizeContext, raw: Obj, path: DocPath): NormalizedService['x'] {
  const x = parseExtension(serviceExtensionSchema, raw['x-shipshape'] ?? {}, path, ctx);
  return {
    public: x.public,
    healthPath: x['health-path'],
    allowFrom: x['allow-from'],
    scaling: x.scaling
      ? { min: x.scaling.min, max: x.scaling.max, targetCpuPercent: x.scaling['target-cpu'] }
      : undefined,
    slim: x.slim,
    acknowledge: x.acknowledge,
    protocols: Object.fromEntries(Object.entries(x.protocols).map(([port, p]) => [Number(port), p])),
    ignoreEdges: x['ignore-edges'],
    localOnly: x['local-only'],
    ...(x.job !== undefined ? { job: x.job } : {}),
    managed: x.managed,
    tables: x.tables.map((t) => ({
      name: t.name,
      partitionKey: t['partition-key'],
      ...(t['sort-key'] ? { sortKey: t['sort-key'] } : {}),
      ...(t.ttl ? { ttlAttribute: t.ttl } : {}),
    })),
    buckets: x.buckets,
  };
}

export function normalizeService(ctx: NormalizeContext, name: string, raw: Obj): NormalizedService {
  const base: DocPath = ['services', name];
  const p = (...rest: (string | number)[]): DocPath => [...base, ...rest];
  const deploy = isObj(raw.deploy) ? raw.deploy : {};
  const resources = isObj(deploy.resources) ? deploy.resources : {};
  const limits = serviceLimits(ctx, base, raw, resources.limits);
  const replicas = intOrFail(ctx, p('deploy', 'replicas'), deploy.replicas ?? raw.scale, 1);

  const image = raw.image === undefined ? undefined : String(raw.image);
  const invalid = image === undefined ? undefined : invalidImageRef(image);
  if (invalid !== undefined)
    fail(
      ctx,
      p('image'),
      `image "${image}" is not a valid image reference: ${invalid}`,
      'write [REGISTRY/]NAME[:TAG][@DIGEST], e.g. node:20-bookworm-slim',
    );
  const build = normalizeBuild(ctx, p('build'), raw.build);
  if (!image && !build)
    fail(ctx, base, `service "${name}" has neither image nor build`, 'add `image: NAME` or `build: ./dir`');
  const ports = normalizePorts(ctx, p('ports'), raw.ports);
  const exposed = normalizeExpose(ctx, p('expose'), raw.expose);
  const expose = [...exposed.tcp, ...exposed.udp];
  const servicePorts = [...new Set([...ports.map((q) => q.target), ...expose])].sort((a, b) => a - b);
  const environment = serviceEnvironment(ctx, base, raw);
  const networks =
    isObj(raw.networks) && Object.keys(raw.networks).length > 0 ? Object.keys(raw.networks) : ['default'];
  return {
    name,
    aliases: aliasesOf(raw),
    image,
    build,
    command: commandList(ctx, p('command'), raw.command),
    entrypoint: commandList(ctx, p('entrypoint'), raw.entrypoint),
    environment,
    ports,
    expose,
    udpPorts: udpOnly(ports, exposed),
    links: normalizeLinks(raw.links),
    servicePorts,
    replicas,
    resources: {
      limits,
      reservations: normalizeResources(ctx, p('deploy', 'resources', 'reservations'), resources.reservations),
    },
    healthcheck: normalizeHealthcheck(ctx, p('healthcheck'), raw.healthcheck),
    dependsOn: normalizeDependsOn(ctx, p('depends_on'), raw.depends_on),
    user: raw.user === undefined ? undefined : String(raw.user),
    readOnly: raw.read_only === undefined ? undefined : raw.read_only === true || raw.read_only === 'true',
    capAdd: stringList(raw.cap_add),
    capDrop: stringList(raw.cap_drop),
    privileged: raw.privileged === true || raw.privileged === 'true',
    networkMode: raw.network_mode === undefined ? undefined : String(raw.network_mode),
    networks: raw.network_mode === undefined ? networks : [],
    volumes: [...normalizeVolumes(ctx, p('volumes'), raw.volumes), ...configMounts(ctx, raw.configs).mounts],
    secrets: normalizeSecrets(raw.secrets),
    profiles: stringList(raw.profiles),
    labels: Object.fromEntries(
      Object.entries(listOrDictToMap(raw.labels)).map(([k, v]) => [k, String(v ?? '')]),
    ),
    restart: raw.restart === undefined ? undefined : String(raw.restart),
    workingDir: raw.working_dir === undefined ? undefined : String(raw.working_dir),
    stopSignal: raw.stop_signal === undefined ? undefined : String(raw.stop_signal),
    securityOpt: stringList(raw.security_opt),
    tmpfs: stringList(raw.tmpfs).map(parseTmpfs),
    pid: raw.pid === undefined || raw.pid === null ? undefined : String(raw.pid),
    ipc: raw.ipc === undefined || raw.ipc === null ? undefined : String(raw.ipc),
    platform: raw.platform === undefined || raw.platform === null ? undefined : String(raw.platform),
    devices: (Array.isArray(raw.devices) ? raw.devices : []).map((d) =>
      isObj(d) ? `${String(d.source)}:${String(d.target ?? d.source)}` : String(d),
    ),
    hostSettings: [...hostSettingsOf(raw, resources), ...configMounts(ctx, raw.configs).unsupported],
    x: serviceExtension(ctx, raw, p('x-shipshape')),
    location: ctx.locate(base),
  };
}
