import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { relative } from 'node:path';
import { isRemoteContext } from '../canonical.js';
import { hostWideReason, isEngineSocket, isInside, isSystemPath, realPath } from '../host-paths.js';
import { DOCKER_HOST_ONLY } from '../normalize.js';
import type {
  CloudImage,
  MountDecision,
  Refusal,
  ServiceModel,
  SourceLocation,
  UserDecision,
  VolumeModel,
} from '../types.js';
import type { DocPath } from '../yaml-source.js';
import { formatPath } from '../yaml-source.js';

/**
 * What each mount of a compose service becomes in the cloud, and which host-only settings cannot
 * exist on Fargate. A compose file mounts things for a laptop: the project's source over the
 * image's copy (a development overlay), a config file next to the compose file, a data directory,
 * the Docker socket. Each gets the reading a careful engineer would give it.
 */

const HOST_TIME = new Set(['/etc/localtime', '/etc/timezone']);

export interface MountContext {
  projectDir: string;
  /** Top-level volumes, for named volumes that are binds in disguise (`driver_opts`). Default none. */
  volumes?: readonly VolumeModel[];
  locate(path: DocPath): SourceLocation;
}

const isFile = (path: string) => {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // a missing source is created as a directory by the engine
  }
};

/** The host path a named volume binds (`driver_opts: { type: none, o: bind, device: … }`), if it is one. */
export function boundDevice(volume: VolumeModel | undefined): string | undefined {
  const o = volume?.driverOpts ?? {};
  if (volume?.driver !== undefined && volume.driver !== 'local') return undefined;
  return /(^|,)r?bind(,|$)/.test(o.o ?? '') && o.device ? o.device : undefined;
}

export interface MountPlan {
  mounts: MountDecision[];
  refusals: Refusal[];
  cloudImage: CloudImage;
}

/** What one compose volume becomes in the cloud and why; a refusal says how to fix it. */
interface VolumeReading {
  cloud: MountDecision['cloud'];
  reason: string;
  refusal?: { rule: Refusal['rule']; fix: string };
}

type VolumeOf = ServiceModel['volumes'][number];
type MountedService = Pick<ServiceModel, 'name' | 'volumes' | 'tmpfs' | 'build' | 'image'>;

const TMPFS_READING: VolumeReading = { cloud: 'scratch', reason: 'tmpfs: task-local scratch space' };

function readVolume(
  v: VolumeOf,
  s: MountedService,
  ctx: MountContext,
  managedDatastore: string | undefined,
): VolumeReading {
  if (managedDatastore) return { cloud: 'dropped', reason: managedMountReason(v.target, managedDatastore) };
  if (v.type === 'tmpfs') return TMPFS_READING;
  if (v.type === 'volume') {
    const device = boundDevice(ctx.volumes?.find((x) => x.name === v.source));
    if (device) {
      const bind = readBindMount(device, v, s, ctx);
      return { ...bind, reason: `named volume "${v.source}" binds ${device} (driver_opts): ${bind.reason}` };
    }
    return v.source
      ? {
          cloud: 'volume',
          reason: `named volume "${v.source}": persistent storage shared by the service's tasks`,
        }
      : { cloud: 'scratch', reason: 'anonymous volume: task-local scratch, emptied on every deployment' };
  }
  return readBindMount(v.source ?? '', v, s, ctx);
}

/**
 * A host path mounted into the container: dropped, baked into the image, a volume, or refused.
 * Judged on where the path really leads: `..` and symlinks resolved first (a project symlink to
 * `/etc` or to the Docker socket is what it points at).
 */
function readBindMount(source: string, v: VolumeOf, s: MountedService, ctx: MountContext): VolumeReading {
  const real = realPath(source);
  const via = real !== source ? ` (${source} leads there)` : '';
  if (isEngineSocket(source)) {
    return {
      cloud: 'refused',
      reason: `mounts a container engine's socket (${real})${via}: whoever controls this container controls the host's engine, and Fargate has none`,
      refusal: {
        rule: 'docker-socket',
        fix: 'remove this volume, or keep the service out of the cloud with `x-shipshape: { local-only: true }`',
      },
    };
  }
  if (HOST_TIME.has(source) || HOST_TIME.has(real))
    return { cloud: 'dropped', reason: 'host time zone: cloud tasks run in UTC; set TZ instead' };
  const projectDir = realPath(ctx.projectDir);
  const context =
    s.build && buildContextInProject(s.build.context, ctx) ? realPath(s.build.context) : undefined;
  if (context && isInside(context, real)) {
    return {
      cloud: 'dropped',
      reason: `development overlay of the build context: the image already contains ${relative(projectDir, real) || '.'}`,
    };
  }
  if (isInside(projectDir, real)) return readProjectMount(real, v, projectDir);
  if (isSystemPath(real)) {
    return {
      cloud: 'refused',
      reason: `mounts the host path ${real}${via}, which does not exist on Fargate`,
      refusal: {
        rule: 'host-path',
        fix: 'remove this volume, or use a named volume for data the service keeps',
      },
    };
  }
  const hostWide = hostWideReason(real, projectDir, homedir());
  if (hostWide) {
    return {
      cloud: 'refused',
      reason: `mounts ${real}${via}, ${hostWide}: under compose it reaches the host's files, and it is no data of the app`,
      refusal: {
        rule: 'host-path',
        fix: 'mount a directory of the project or a named volume instead',
      },
    };
  }
  if (!isFile(real) && !v.readOnly && real === source) {
    return {
      cloud: 'volume',
      reason: `host directory ${source} holds data: a persistent volume in the cloud (its current content is not copied)`,
    };
  }
  return {
    cloud: 'refused',
    reason: `mounts ${real}${via} from outside the project, which the cloud image cannot be built from`,
    refusal: {
      rule: 'host-path',
      fix: 'move it into the project directory (it is then copied into the image), or use a named volume',
    },
  };
}

/**
 * Whether a local build context is one the cloud image may be built from: anything but the host
 * itself — `/`, a system directory, the home directory or one above it (symlinks resolved). A
 * context beside the project (`build: ..` from a `docker/` directory) is a common layout.
 */
function buildContextInProject(context: string, ctx: MountContext): boolean {
  const real = realPath(context);
  if (isInside(realPath(ctx.projectDir), real)) return true;
  return !isSystemPath(real) && !isInside(real, homedir());
}

/**
 * A local build context that is the host itself (`/`, `/etc`, the home directory): the image
 * would be built from the host's files, and every host path would pass for "a development
 * overlay" of it.
 */
export function buildContextRefusals(s: Pick<ServiceModel, 'name' | 'build'>, ctx: MountContext): Refusal[] {
  const context = s.build?.context;
  if (!context || isRemoteContext(context) || buildContextInProject(context, ctx)) return [];
  const path = ['services', s.name, 'build', 'context'];
  return [
    {
      rule: 'host-path',
      path: formatPath(path),
      location: ctx.locate(path),
      message: `builds from ${realPath(context)}, which is the host's own files, not the app's: the cloud image would carry them`,
      fix: 'build from the directory of the service’s source (`build: ./app`)',
    },
  ];
}

/** A file, or a read-only directory, of the project is configuration: baked into the image. */
function readProjectMount(source: string, v: VolumeOf, projectDir: string): VolumeReading {
  const where = relative(projectDir, source) || '.';
  if (isFile(source) || v.readOnly) {
    return {
      cloud: 'baked',
      reason: `project ${isFile(source) ? 'file' : 'directory'} ${where}: copied into the cloud image at ${v.target}`,
    };
  }
  return {
    cloud: 'volume',
    reason: `project directory ${where} holds data: a persistent volume in the cloud (its current content is not copied)`,
  };
}

export function decideMounts(
  s: MountedService,
  ctx: MountContext,
  managedDatastore: string | undefined,
): MountPlan {
  const mounts: MountDecision[] = [];
  const refusals: Refusal[] = [];
  const baked: CloudImage['files'] = [];
  s.volumes.forEach((v, i) => {
    const path: DocPath = ['services', s.name, 'volumes', i];
    const location = ctx.locate(path);
    const { cloud, reason, refusal } = readVolume(v, s, ctx, managedDatastore);
    mounts.push({
      target: v.target,
      source: v.source,
      type: v.type,
      readOnly: v.readOnly,
      location,
      cloud,
      reason,
    });
    if (refusal)
      refusals.push({
        rule: refusal.rule,
        path: formatPath(path),
        location,
        message: reason,
        fix: refusal.fix,
      });
    if (cloud === 'baked') baked.push({ source: v.source ?? '', target: v.target });
  });
  for (const t of s.tmpfs) {
    mounts.push({ target: t.target, type: 'tmpfs', readOnly: false, ...TMPFS_READING });
  }
  const cloudImage: CloudImage = s.build
    ? { kind: 'build', files: [] }
    : baked.length > 0
      ? { kind: 'derived', files: baked }
      : { kind: 'registry', files: [] };
  return { mounts, refusals, cloudImage };
}

/** Why a mount of a datastore that becomes a managed service is not deployed. */
function managedMountReason(target: string, managedBy: string): string {
  if (/docker-entrypoint-init/.test(target))
    return `init scripts do not run on ${managedBy}: apply them once to its endpoint (a migration task or the app's own migrations)`;
  return `the data lives in ${managedBy}`;
}

/**
 * Scratch directories a datastore image writes besides its data (its socket directory): on the
 * read-only root filesystem they must be writable, as tmpfs locally and task storage in the cloud.
 */
export function impliedMounts(writable: readonly string[], image: string, managed: boolean): MountDecision[] {
  return writable.map((target) => ({
    target,
    type: 'tmpfs',
    readOnly: false,
    cloud: managed ? 'dropped' : 'scratch',
    reason: `${image} writes its socket here: writable scratch on the read-only root filesystem`,
    implied: true,
  }));
}

/** Fallback owner of persistent volumes when the service's user is not numeric. */
export const DEFAULT_VOLUME_OWNER = { uid: 1000, gid: 1000 };

/**
 * Who owns a persistent volume's files in the cloud (its EFS access point's POSIX user and root
 * directory): the service's numeric `uid[:gid]`, else 1000:1000, which the reason says.
 */
export function volumeOwner(user: UserDecision): { owner: { uid: number; gid: number }; note: string } {
  const m = /^(\d+)(?::(\d+))?$/.exec(user.user ?? '');
  if (m) {
    const owner = { uid: Number(m[1]), gid: Number(m[2] ?? m[1]) };
    return { owner, note: `owned by ${owner.uid}:${owner.gid}, the service's user` };
  }
  const why =
    user.user === undefined
      ? "the image's user is not known before it runs"
      : `user "${user.user}" is a name`;
  return {
    owner: DEFAULT_VOLUME_OWNER,
    note: `owned by 1000:1000 (${why}; set \`user: "uid:gid"\` to choose)`,
  };
}

/** `security_opt` values that switch confinement off: the container may call every syscall. */
const UNCONFINED = /^(seccomp|apparmor)[:=]unconfined$|^label[:=]disable$|^systempaths[:=]unconfined$/;
/** Custom confinement profiles: Fargate applies its own and cannot load these. */
const CUSTOM_PROFILE = /^(seccomp|apparmor)[:=](?!unconfined$)|^label[:=](?!disable$)/;

type HostSettingRefusal = (value: string, key: string) => { message: string; fix: string };

/** A Docker host setting Fargate does not have: removing it is the fix. */
const hostOnly: HostSettingRefusal = (value, key) => ({
  message: `${key}: ${value} is a Docker host setting Fargate does not have`,
  fix: `remove \`${key}\``,
});

const namespaceOfHost: HostSettingRefusal = (value, key) =>
  value === 'host'
    ? {
        message: `shares the host's ${key === 'uts' ? 'UTS (hostname)' : key === 'cgroup' ? 'cgroup' : 'user'} namespace (${key}: host), which Fargate cannot`,
        fix: `remove \`${key}: host\``,
      }
    : hostOnly(value, key);

const otherRuntime: HostSettingRefusal = (value, key) => ({
  message: `${key}: ${value} asks for a container runtime Fargate does not offer`,
  fix: `remove \`${key}\``,
});

const resolver: HostSettingRefusal = (value, key) => ({
  message: `${key}: ${value} sets the container's resolver, which Fargate tasks (awsvpc) cannot`,
  fix: `remove \`${key}\``,
});

const devices: HostSettingRefusal = (value) => ({
  message: `reserves host devices (${value}); Fargate has no GPUs or devices`,
  fix: 'remove the device reservation, or keep the service local with `x-shipshape: { local-only: true }`',
});

/** How each host-only setting is refused: what Fargate lacks, and the fix. */
const HOST_SETTING_REFUSALS: Record<string, HostSettingRefusal> = {
  userns_mode: namespaceOfHost,
  uts: namespaceOfHost,
  cgroup: namespaceOfHost,
  cgroup_parent: (value) => ({
    message: `cgroup_parent: ${value} places the container in a host cgroup, which Fargate does not have`,
    fix: 'remove `cgroup_parent`',
  }),
  runtime: otherRuntime,
  isolation: otherRuntime,
  sysctls: (value) => ({
    message: `sets the kernel parameter ${value}, which Fargate does not let a task set`,
    fix: 'remove `sysctls` (or tune the application instead)',
  }),
  device_cgroup_rules: (value) => ({
    message: `device_cgroup_rules "${value}" grants access to host devices, and Fargate has none`,
    fix: 'remove `device_cgroup_rules`',
  }),
  volumes_from: (value) => ({
    message: `volumes_from: ${value} shares another container's volumes, which Fargate tasks of different services cannot`,
    fix: 'share data through a named volume mounted by both services',
  }),
  external_links: (value) => ({
    message: `external_links: ${value} names a container outside the app, which does not exist in the cloud`,
    fix: 'remove it, or add that container to the compose file',
  }),
  extra_hosts: (value) => ({
    message: `extra_hosts "${value}" adds a hosts-file entry${/host-gateway/.test(value) ? ' for the Docker host, which the cloud does not have' : ''}; Fargate tasks (awsvpc) take none`,
    fix: 'call services by their compose names (each is registered in the cloud), or keep the service local',
  }),
  dns: resolver,
  dns_search: resolver,
  dns_opt: resolver,
  ...Object.fromEntries([...DOCKER_HOST_ONLY, 'storage_opt', 'blkio_config'].map((k) => [k, hostOnly])),
  configs: (value) => ({
    message: `config "${value}" is not a file of the project (content:, environment: or external), which the cloud image cannot carry`,
    fix: 'make it a file in the project (`configs: { NAME: { file: ./NAME } }`): it is then baked into the cloud image',
  }),
  gpus: devices,
  'deploy.resources.reservations.devices': devices,
};

function hostSettingRefusal(key: string, value: string): { message: string; fix: string } | undefined {
  return HOST_SETTING_REFUSALS[key]?.(value, key);
}

/**
 * Settings that cannot exist on Fargate, refused (never dropped): host namespaces (`pid`, `ipc`,
 * `userns_mode`, `uts`, `cgroup`), another container's namespace (`network_mode: service:x`,
 * `pid: container:x`) or none at all (`network_mode: none`), devices, kernel parameters, custom
 * runtimes, and confinement switched off or replaced (`seccomp:unconfined`, a custom profile).
 */
export function hostOnlyRefusals(
  s: Pick<ServiceModel, 'name' | 'pid' | 'ipc' | 'devices' | 'networkMode' | 'securityOpt' | 'hostSettings'>,
  ctx: MountContext,
): Refusal[] {
  const out: Refusal[] = [];
  const at = (...key: (string | number)[]) => ({
    path: formatPath(['services', s.name, ...key]),
    location: ctx.locate(['services', s.name, ...key]),
  });
  if (s.pid === 'host') {
    out.push({
      rule: 'host-pid',
      ...at('pid'),
      message: 'shares the host PID namespace (pid: host)',
      fix: 'remove `pid: host`',
    });
  }
  if (s.ipc === 'host') {
    out.push({
      rule: 'host-ipc',
      ...at('ipc'),
      message: 'shares the host IPC namespace (ipc: host)',
      fix: 'remove `ipc: host`',
    });
  }
  for (const [key, value] of [
    ['pid', s.pid],
    ['ipc', s.ipc],
    ['network_mode', s.networkMode],
  ] as const) {
    if (value === undefined || !/^(service|container):/.test(value)) continue;
    out.push({
      rule: 'fargate-unsupported',
      ...at(key),
      message: `${key}: ${value} joins another container's namespace, which a Fargate task of another service cannot`,
      fix: `remove \`${key}\` and let the services talk over the network (they reach each other by service name)`,
    });
  }
  if (s.networkMode === 'none') {
    out.push({
      rule: 'fargate-unsupported',
      ...at('network_mode'),
      message:
        'network_mode: none leaves the container without a network; Fargate tasks always have one (awsvpc)',
      fix: 'remove `network_mode: none`; a service without callers and without egress rules reaches nothing anyway',
    });
  }
  if (s.devices.length > 0) {
    out.push({
      rule: 'devices',
      ...at('devices'),
      message: `maps host devices (${s.devices.join(', ')}), which Fargate cannot`,
      fix: 'remove `devices:`, or keep the service out of the cloud with `x-shipshape: { local-only: true }`',
    });
  }
  s.hostSettings.forEach((h) => {
    const r = hostSettingRefusal(h.key, h.value);
    const key = h.key === 'sysctls' ? ['sysctls', h.value.split('=')[0]!] : h.key.split('.');
    if (r) out.push({ rule: 'fargate-unsupported', ...at(...key), ...r });
  });
  s.securityOpt.forEach((opt, i) => {
    if (UNCONFINED.test(opt))
      out.push({
        rule: 'confinement-disabled',
        ...at('security_opt', i),
        message: `security_opt "${opt}" switches confinement off: the container may call every syscall the kernel has`,
        fix: `remove "${opt}" from security_opt`,
      });
    else if (CUSTOM_PROFILE.test(opt))
      out.push({
        rule: 'fargate-unsupported',
        ...at('security_opt', i),
        message: `security_opt "${opt}" loads a custom confinement profile, which Fargate cannot (it applies its own)`,
        fix: `remove "${opt}" from security_opt (Fargate's default seccomp profile applies)`,
      });
  });
  return out;
}
