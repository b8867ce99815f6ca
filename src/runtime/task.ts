import { runsAsRoot } from '../model/intent/user.js';
import type { HealthCheck, ServiceModel } from '../model/types.js';
import { initScript, type SecretFile, type VolumePreparation } from './init-script.js';

/**
 * The runtime spec: how each container of a service runs, decided once from the model, so that
 * `up` (src/engine/container-spec.ts renders it for Docker) and `synth` (src/infra/service.ts
 * renders it as an ECS task definition) cannot drift. If `up` gives a container a writable `/tmp`,
 * so does its task definition; if the task keeps a capability, so does the local container.
 *
 * A service is one task: its app container and, when needed, an init container that prepares the
 * task's volumes before the app starts (compose secret files, owners of scratch directories),
 * because Fargate's task volumes start empty, owned by root, mode 0755 (docs/fargate.md).
 */

/** ECS container dependency conditions (the same names `up --fargate` honours). */
export type ContainerCondition = 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY';

/** A task-scoped volume: empty at task start, removed with the task (Fargate bind mounts). */
export interface TaskVolume {
  readonly name: string;
  /** `scratch`: writable space on a read-only root; `secrets`: compose secret files. */
  readonly kind: 'scratch' | 'secrets';
}

export interface RuntimeMount {
  /** A task volume's name (see `TaskRuntime.volumes`). */
  readonly volume: string;
  readonly path: string;
  readonly readOnly: boolean;
}

export interface RuntimePort {
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  /** ECS port mapping name (Service Connect refers to it). */
  readonly name: string;
}

export interface ContainerRuntime {
  readonly name: string;
  readonly role: 'app' | 'init';
  /** When an essential container stops, the task stops. */
  readonly essential: boolean;
  /** `service`: the service's own image; else a helper image reference. */
  readonly image: 'service' | string;
  /** The user to start as; undefined: the image's own. */
  readonly user?: string;
  readonly command?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly workingDir?: string;
  readonly readOnlyRoot: boolean;
  /**
   * Linux capabilities the container keeps; every other is dropped. Fargate lets a task add only
   * SYS_PTRACE, so a kept capability outside Docker's default set cannot exist there.
   */
  readonly capabilities: readonly string[];
  readonly mounts: readonly RuntimeMount[];
  readonly ports: readonly RuntimePort[];
  readonly healthCheck?: HealthCheck;
  readonly dependsOn: readonly { readonly container: string; readonly condition: ContainerCondition }[];
  /** The init container's secret files: each comes from an ECS secret named `variable`. */
  readonly secretFiles: readonly SecretFile[];
}

export interface TaskRuntime {
  readonly service: string;
  /** `service` runs on; `job` runs to completion once. */
  readonly kind: 'service' | 'job';
  /** The app container first, then the init container when one is needed. */
  readonly containers: readonly ContainerRuntime[];
  readonly volumes: readonly TaskVolume[];
  /**
   * Fargate's rule for the task's network namespace (`net.ipv4.ip_unprivileged_port_start`):
   * a process without CAP_NET_BIND_SERVICE cannot bind a port below it. Docker sets 0; `up` sets
   * this back so a laptop fails where the cloud would.
   */
  readonly unprivilegedPortStart: number;
}

/** Where compose secrets live in every container (the Compose Specification's default target). */
export const SECRETS_DIR = '/run/secrets';
/** Where the init container sees each scratch volume, to hand it to the app's user. */
export const INIT_VOLUMES_DIR = '/shipshape/volumes';
/** Fargate's (and the Linux kernel's) first port a non-root process may bind. */
export const UNPRIVILEGED_PORT_START = 1024;

/**
 * The image of the init container: BusyBox (about 2 MB) has the `sh`, `printf`, `mkdir`,
 * `chown` and `chmod` the init script needs; the Amazon ECR Public mirror of the Docker official
 * image has no Docker Hub rate limits. `scripts/dev-env.sh` builds a stand-in under this name.
 */
export const INIT_IMAGE = 'public.ecr.aws/docker/library/busybox:1.36.1';
export const INIT_CONTAINER = 'shipshape-init';

/** Docker's default capability set: what a container has unless a capability is dropped. */
export const DEFAULT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'SETGID',
  'SETUID',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'NET_RAW',
  'SYS_CHROOT',
  'MKNOD',
  'AUDIT_WRITE',
  'SETFCAP',
] as const;

/** ECS names (service, container, port mapping) allow only letters, digits, `_` and `-`. */
export function ecsName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 255);
}

/**
 * ECS port mapping (and Cloud Map discovery) names allow only lowercase letters, digits, `_` and
 * `-`, while compose service names may have capitals and dots.
 */
export function portName(service: string, port: number): string {
  return `${service.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}-${port}`.slice(-64);
}

/** `1000` or `1000:1000` → ids; a name (`node`) cannot be resolved outside the image. */
export function numericUser(user: string | undefined): { uid: number; gid: number } | undefined {
  const m = /^\s*(\d+)\s*(?::\s*(\d+)\s*)?$/.exec(user ?? '');
  return m ? { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) } : undefined;
}

/** The task of one service, as both `up` and `synth` run it. */
export function taskRuntime(s: ServiceModel): TaskRuntime {
  const user = appUser(s);
  const scratch = scratchPaths(s);
  const volumes: TaskVolume[] = scratch.map((_, i) => ({ name: `scratch${i}`, kind: 'scratch' }));
  const appMounts: RuntimeMount[] = scratch.map((p, i) => ({
    volume: `scratch${i}`,
    path: p.path,
    readOnly: false,
  }));
  const secretFiles: SecretFile[] = s.intent.secrets.map((d, i) => ({
    secret: d.name,
    variable: `SHIPSHAPE_SECRET_${i}`,
    target: d.target,
  }));
  if (secretFiles.length > 0) {
    volumes.push({ name: 'compose-secrets', kind: 'secrets' });
    appMounts.push({ volume: 'compose-secrets', path: SECRETS_DIR, readOnly: true });
  }
  const owner = numericUser(user);
  const preparations = runsAsRoot(s.intent.user) ? [] : volumePreparations(scratch, owner);
  const init =
    secretFiles.length > 0 || preparations.length > 0
      ? initContainer(secretFiles, preparations, owner)
      : undefined;
  const app: ContainerRuntime = {
    name: ecsName(s.name),
    role: 'app',
    essential: true,
    image: 'service',
    ...(user !== undefined ? { user } : {}),
    ...(s.command ? { command: s.command } : {}),
    ...(s.entrypoint ? { entrypoint: s.entrypoint } : {}),
    ...(s.workingDir ? { workingDir: s.workingDir } : {}),
    readOnlyRoot: s.readOnly !== false,
    capabilities: appCapabilities(s),
    mounts: appMounts,
    ports: containerPorts(s),
    // Compose's, else the image's own HEALTHCHECK (which Docker runs by itself, and ECS only when stated).
    ...(s.intent.healthcheck?.check && !s.intent.healthcheck.check.disabled
      ? { healthCheck: s.intent.healthcheck.check }
      : {}),
    dependsOn: init ? [{ container: init.name, condition: 'SUCCESS' }] : [],
    secretFiles: [],
  };
  return {
    service: s.name,
    kind: s.intent.placement === 'job' ? 'job' : 'service',
    containers: init ? [app, init] : [app],
    volumes,
    unprivilegedPortStart: UNPRIVILEGED_PORT_START,
  };
}

/**
 * The user the app container starts as: compose `user:`, else the model's decided user when it is
 * not root (so the account is visible in the task definition), else the image's own.
 */
function appUser(s: ServiceModel): string | undefined {
  if (s.user !== undefined) return s.user;
  return s.intent.user.root === false ? s.intent.user.user : undefined;
}

interface ScratchPath {
  path: string;
  /** Compose tmpfs options (`mode=1777,uid=999`), when the path is a compose tmpfs. */
  options?: string;
}

/**
 * Writable task-local paths: compose tmpfs and anonymous volumes, the scratch directories the
 * model says the image writes (a datastore's socket directory), and `/tmp` on a read-only root
 * (Fargate gives none; a laptop's Docker did, so apps that write temp files crashed only there).
 */
function scratchPaths(s: ServiceModel): ScratchPath[] {
  const paths = new Map<string, ScratchPath>();
  // Implied scratch of a managed datastore's stand-in too: only the local run renders that task.
  for (const m of s.intent.mounts.filter((x) => x.cloud === 'scratch' || x.implied))
    paths.set(m.target, { path: m.target });
  for (const t of s.tmpfs) paths.set(t.target, { path: t.target, options: t.options });
  if (s.readOnly !== false && !paths.has('/tmp')) paths.set('/tmp', { path: '/tmp' });
  return [...paths.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * How the init container hands each scratch volume to a non-root app: `/tmp` and paths whose owner
 * is unknown become world-writable with the sticky bit (as /tmp is); others are chowned to the
 * app's uid:gid. Compose tmpfs `uid=`/`mode=` options win.
 */
function volumePreparations(
  scratch: readonly ScratchPath[],
  owner: { uid: number; gid: number } | undefined,
): VolumePreparation[] {
  return scratch.map((p, i) => {
    const opt = (key: string) => new RegExp(`(?:^|,)${key}=(\\d+)`).exec(p.options ?? '')?.[1];
    const uid = opt('uid');
    const gid = opt('gid');
    const explicitOwner = uid !== undefined ? { uid: Number(uid), gid: Number(gid ?? uid) } : undefined;
    const chosen = p.path === '/tmp' ? undefined : (explicitOwner ?? owner);
    return {
      directory: `${INIT_VOLUMES_DIR}/scratch${i}`,
      mode: opt('mode') ?? (chosen ? '0755' : '1777'),
      ...(chosen ? { owner: chosen } : {}),
    };
  });
}

function initContainer(
  secretFiles: readonly SecretFile[],
  preparations: readonly VolumePreparation[],
  owner: { uid: number; gid: number } | undefined,
): ContainerRuntime {
  return {
    name: INIT_CONTAINER,
    role: 'init',
    essential: false,
    image: INIT_IMAGE,
    user: '0',
    command: ['sh', '-c', initScript(secretFiles, preparations, owner)],
    readOnlyRoot: true,
    // Root without DAC_OVERRIDE or FOWNER acts only on what it owns (the empty task volumes);
    // CHOWN hands them and the secret files to the app's user.
    capabilities: ['CHOWN'],
    mounts: [
      ...preparations.map((p, i) => ({ volume: `scratch${i}`, path: p.directory, readOnly: false })),
      ...(secretFiles.length > 0 ? [{ volume: 'compose-secrets', path: SECRETS_DIR, readOnly: false }] : []),
    ],
    ports: [],
    dependsOn: [],
    secretFiles,
  };
}

/**
 * What the app container keeps: nothing but what compose adds (`cap_add`), and
 * NET_BIND_SERVICE for a root process that listens below 1024 (with every capability dropped even
 * root could not bind it; a non-root process cannot, which the model refuses).
 */
function appCapabilities(s: ServiceModel): string[] {
  const keep = new Set(s.capAdd.map((c) => c.toUpperCase().replace(/^CAP_/, '')));
  if (runsAsRoot(s.intent.user) && s.intent.listenPorts.some((p) => p < UNPRIVILEGED_PORT_START))
    keep.add('NET_BIND_SERVICE');
  return [...keep].sort();
}

/**
 * One TCP mapping per listening port (named for Service Connect), except ports that are only UDP
 * entries, plus one UDP mapping per UDP entry (`53/udp` and `53/tcp` are two mappings).
 */
export function containerPorts(s: ServiceModel): RuntimePort[] {
  const udp = new Set([
    ...s.intent.entryPorts.filter((p) => p.protocol === 'udp').map((p) => p.port),
    ...s.udpPorts.filter((p) => s.intent.listenPorts.includes(p)),
  ]);
  const tcpEntry = new Set(s.intent.entryPorts.filter((p) => p.protocol !== 'udp').map((p) => p.port));
  const tcp = s.intent.listenPorts.filter((port) => !udp.has(port) || tcpEntry.has(port));
  return [
    ...tcp.map((port) => ({ port, protocol: 'tcp' as const, name: portName(s.name, port) })),
    ...[...udp].map((port) => ({
      port,
      protocol: 'udp' as const,
      name: `${portName(s.name, port)}-udp`.slice(-64),
    })),
  ];
}
