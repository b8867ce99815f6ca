import type Docker from 'dockerode';
import { ShipshapeError } from '../model/errors.js';
import type { AppModel, HealthCheck, ServiceModel } from '../model/types.js';
import { SECRETS_DIR, UNPRIVILEGED_PORT_START, taskRuntime, type ContainerRuntime } from '../runtime/task.js';

/**
 * The one place the engine create options of a service's container are built: `up`'s replicas
 * (src/local/plan.ts), `slim`'s dependencies (src/slim/deps.ts) and `slim`'s traced and verified
 * runs (src/slim/exercise.ts) all get their hardening, mounts, environment, healthcheck and labels
 * here, so a security default cannot differ between the commands.
 */

/** Memory limit when compose sets none (`deploy.resources.limits.memory`). */
export const DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024;
/** Process limit when compose sets none (`deploy.resources.limits.pids`). */
export const DEFAULT_PIDS_LIMIT = 256;
/** The writable `/tmp` a container with a read-only root filesystem gets. */
export const TMP_TMPFS = 'rw,noexec,nosuid,nodev,size=64m';
/** A datastore's socket directory on a read-only root: writable by its (non-root) user. */
export const IMPLIED_TMPFS = 'rw,noexec,nosuid,nodev,size=16m,mode=1777';

/** The least-privilege settings of one container, before they become engine HostConfig. */
export interface Hardening {
  /** Capabilities added back after dropping ALL. */
  capAdd: readonly string[];
  securityOpt: string[];
  readOnly: boolean;
  /** tmpfs mounts, path → options. */
  tmpfs: Record<string, string>;
  pidsLimit: number;
  memoryBytes: number;
  privileged: boolean;
  /** Kernel settings of the container's network namespace (Fargate's low-port rule). */
  sysctls: Record<string, string>;
}

/** `no-new-privileges` stays on unless compose says `security_opt: [no-new-privileges:false]`. */
export function securityOptions(securityOpt: readonly string[]): string[] {
  const nnpOff = securityOpt.some((o) => /^no-new-privileges[:=]false$/.test(o));
  const rest = securityOpt.filter((o) => !/^no-new-privileges([:=](true|false))?$/.test(o));
  return nnpOff ? rest : ['no-new-privileges:true', ...rest];
}

/**
 * A service's hardening: everything dropped and locked down unless its compose file loosens it
 * explicitly (`cap_add`, `security_opt`, `read_only: false`, resource limits, `privileged`).
 * Without a service (slim of a bare image) the defaults apply.
 */
export function serviceHardening(s?: ServiceModel): Hardening {
  if (!s) {
    return {
      capAdd: [],
      securityOpt: securityOptions([]),
      readOnly: true,
      tmpfs: { '/tmp': TMP_TMPFS },
      pidsLimit: DEFAULT_PIDS_LIMIT,
      memoryBytes: DEFAULT_MEMORY_BYTES,
      privileged: false,
      sysctls: { [UNPRIVILEGED_PORT_SYSCTL]: String(UNPRIVILEGED_PORT_START) },
    };
  }
  const task = taskRuntime(s);
  const app = task.containers.find((c) => c.role === 'app')!;
  return {
    capAdd: [...app.capabilities],
    securityOpt: securityOptions(s.securityOpt),
    readOnly: app.readOnlyRoot,
    tmpfs: scratchTmpfs(s, app),
    pidsLimit: s.resources.limits.pids ?? DEFAULT_PIDS_LIMIT,
    memoryBytes: s.resources.limits.memoryBytes ?? DEFAULT_MEMORY_BYTES,
    // Only ever on when compose says `privileged: true` (the policy gate flags it).
    privileged: s.privileged,
    sysctls: { [UNPRIVILEGED_PORT_SYSCTL]: String(task.unprivilegedPortStart) },
  };
}

/** The kernel setting behind Fargate's rule that non-root processes cannot bind below 1024. */
export const UNPRIVILEGED_PORT_SYSCTL = 'net.ipv4.ip_unprivileged_port_start';

/**
 * The runtime spec's scratch paths as tmpfs (what the cloud gives as task storage): compose's own
 * `tmpfs:` entries with their options, `/tmp` on a read-only root, the scratch directories the
 * model says the image writes (a datastore's socket directory). Anonymous volumes stay volumes.
 */
function scratchTmpfs(s: ServiceModel, app: ContainerRuntime): Record<string, string> {
  const tmpfs: Record<string, string> = {};
  const volumes = new Set(s.volumes.map((v) => v.target));
  const compose = new Map(s.tmpfs.map((t) => [t.target, t.options]));
  const implied = new Set(s.intent.mounts.filter((m) => m.implied).map((m) => m.target));
  for (const m of app.mounts.filter((x) => x.path !== SECRETS_DIR && !volumes.has(x.path))) {
    tmpfs[m.path] =
      compose.get(m.path) ??
      (m.path === '/tmp' ? TMP_TMPFS : implied.has(m.path) ? IMPLIED_TMPFS : TMP_TMPFS);
  }
  return tmpfs;
}

/** The engine HostConfig for `h`. */
export function hardenedHostConfig(h: Hardening): Docker.HostConfig {
  return {
    CapDrop: ['ALL'],
    CapAdd: [...h.capAdd],
    SecurityOpt: h.securityOpt,
    ReadonlyRootfs: h.readOnly,
    Tmpfs: h.tmpfs,
    PidsLimit: h.pidsLimit,
    Memory: h.memoryBytes,
    MemorySwap: h.memoryBytes, // no swap beyond the limit, as in production
    Privileged: h.privileged,
    Sysctls: h.sysctls,
  };
}

/**
 * Where a named volume of the compose file lives for this run: the engine volume's name, or
 * undefined for an anonymous volume that is removed with its container (slim's throwaway runs).
 */
export type VolumeNamer = (source: string) => string | undefined;

/** The service's volumes, bind mounts, tmpfs entries and file secrets as engine mounts. */
export function serviceMounts(
  app: AppModel,
  s: ServiceModel,
  volumeName: VolumeNamer,
): Docker.MountSettings[] {
  const mounts: Docker.MountSettings[] = s.volumes.map((v): Docker.MountSettings => {
    if (v.type === 'bind') return { Type: 'bind', Source: v.source!, Target: v.target, ReadOnly: v.readOnly };
    if (v.type === 'tmpfs') return { Type: 'tmpfs', Target: v.target } as Docker.MountSettings;
    const source = v.source === undefined ? undefined : volumeName(v.source);
    return {
      Type: 'volume',
      ...(source ? { Source: source } : {}),
      Target: v.target,
      ReadOnly: v.readOnly,
    } as Docker.MountSettings;
  });
  return [...mounts, ...secretMounts(app, s)];
}

/** File-based compose secrets, bind-mounted read-only at their target; other kinds are refused. */
function secretMounts(app: AppModel, s: ServiceModel): Docker.MountSettings[] {
  return s.secrets.map((secret) => {
    const def = app.secrets.find((x) => x.name === secret.source);
    if (!def?.file) {
      throw new ShipshapeError(
        `secret "${secret.source}" of service "${s.name}" is not file-based; local runs mount only file secrets`,
        {
          location: s.location,
          path: `services.${s.name}.secrets`,
          hint: 'declare it with `file:` for local runs',
        },
      );
    }
    return { Type: 'bind', Source: def.file, Target: secret.target, ReadOnly: true };
  });
}

const nsFromMs = (ms: number) => Math.round(ms * 1_000_000);

/** The compose healthcheck as the engine's; `NONE` when compose disables the image's own. */
export function engineHealthcheck(hc: HealthCheck | undefined): Docker.HealthConfig | undefined {
  if (!hc) return undefined;
  if (hc.disabled) return { Test: ['NONE'] };
  return {
    Test: hc.test,
    Interval: nsFromMs(hc.intervalMs),
    Timeout: nsFromMs(hc.timeoutMs),
    Retries: hc.retries,
    StartPeriod: nsFromMs(hc.startPeriodMs),
  };
}

/** `KEY=value` list of the service's environment plus `extra`. */
export function environmentList(s: ServiceModel | undefined, extra: Record<string, string> = {}): string[] {
  return Object.entries({ ...s?.environment, ...extra }).map(([k, v]) => `${k}=${v}`);
}

export interface ServiceContainerInput {
  app: AppModel;
  service: ServiceModel;
  /** Container name. */
  name: string;
  /** Image reference or id. */
  image: string;
  /** Labels on top of the service's own compose labels. */
  labels: Record<string, string>;
  /** Named volumes → engine volumes (see `VolumeNamer`). */
  volumeName: VolumeNamer;
  /** Hostname. Default the engine's (the container id). */
  hostname?: string;
  /** Environment variables on top of the service's. Default none. */
  env?: Record<string, string>;
}

/**
 * Create options (minus networking) of one container of a service, as the compose file declares
 * it, hardened (`serviceHardening`), with its CPU limit, mounts, environment, healthcheck, labels.
 */
export function serviceContainerSpec(input: ServiceContainerInput): Docker.ContainerCreateOptions {
  const { service: s } = input;
  const healthcheck = engineHealthcheck(s.healthcheck);
  // The user compose names, else the one the model decided to start the image as (a datastore
  // image's data user, so it needs no capabilities to switch to it).
  const user = s.user ?? (s.intent.user.setByShipshape ? s.intent.user.user : undefined);
  return {
    name: input.name,
    Image: input.image,
    ...(input.hostname ? { Hostname: input.hostname } : {}),
    ...(s.command ? { Cmd: s.command } : {}),
    ...(s.entrypoint ? { Entrypoint: s.entrypoint } : {}),
    ...(user ? { User: user } : {}),
    ...(s.workingDir ? { WorkingDir: s.workingDir } : {}),
    ...(s.stopSignal ? { StopSignal: s.stopSignal } : {}),
    Env: environmentList(s, input.env),
    Labels: { ...s.labels, ...input.labels },
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    HostConfig: {
      ...hardenedHostConfig(serviceHardening(s)),
      ...(s.resources.limits.cpus ? { NanoCpus: Math.round(s.resources.limits.cpus * 1e9) } : {}),
      Mounts: serviceMounts(input.app, s, input.volumeName),
    },
  };
}
