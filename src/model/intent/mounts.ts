import { statSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import type {
  CloudImage,
  MountDecision,
  Refusal,
  ServiceModel,
  SourceLocation,
  UserDecision,
} from '../types.js';
import type { DocPath } from '../yaml-source.js';
import { formatPath } from '../yaml-source.js';

/**
 * What each mount of a compose service becomes in the cloud, and which host-only settings cannot
 * exist on Fargate. A compose file mounts things for a laptop: the project's source over the
 * image's copy (a development overlay), a config file next to the compose file, a data directory,
 * the Docker socket. Each gets the reading a careful engineer would give it.
 */

const DOCKER_SOCKET = /(^|\/)docker\.sock$|^\/var\/run\/docker(\/|$)|^\/run\/docker(\/|$)/;
/** Host paths whose content is the host itself: mounting them in a container is never portable. */
const SYSTEM_PATHS = /^\/(proc|sys|dev|boot|etc|usr|lib|lib64|bin|sbin|var|run|root|srv\/docker)?(\/|$)/;
const HOST_TIME = new Set(['/etc/localtime', '/etc/timezone']);

export interface MountContext {
  projectDir: string;
  locate(path: DocPath): SourceLocation;
}

const inside = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

const isFile = (path: string) => {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // a missing source is created as a directory by the engine
  }
};

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
    return v.source
      ? {
          cloud: 'volume',
          reason: `named volume "${v.source}": persistent storage shared by the service's tasks`,
        }
      : { cloud: 'scratch', reason: 'anonymous volume: task-local scratch, emptied on every deployment' };
  }
  return readBindMount(v.source ?? '', v, s, ctx);
}

/** A host path mounted into the container: dropped, baked into the image, a volume, or refused. */
function readBindMount(source: string, v: VolumeOf, s: MountedService, ctx: MountContext): VolumeReading {
  if (DOCKER_SOCKET.test(source)) {
    return {
      cloud: 'refused',
      reason: `mounts the Docker socket (${source}): whoever controls this container controls the host's engine, and Fargate has none`,
      refusal: {
        rule: 'docker-socket',
        fix: 'remove this volume, or keep the service out of the cloud with `x-shipshape: { local-only: true }`',
      },
    };
  }
  if (HOST_TIME.has(source))
    return { cloud: 'dropped', reason: 'host time zone: cloud tasks run in UTC; set TZ instead' };
  if (s.build && inside(s.build.context, source)) {
    return {
      cloud: 'dropped',
      reason: `development overlay of the build context: the image already contains ${relative(ctx.projectDir, source) || '.'}`,
    };
  }
  if (inside(ctx.projectDir, source)) return readProjectMount(source, v, ctx);
  if (SYSTEM_PATHS.test(source)) {
    return {
      cloud: 'refused',
      reason: `mounts the host path ${source}, which does not exist on Fargate`,
      refusal: {
        rule: 'host-path',
        fix: 'remove this volume, or use a named volume for data the service keeps',
      },
    };
  }
  if (!isFile(source) && !v.readOnly) {
    return {
      cloud: 'volume',
      reason: `host directory ${source} holds data: a persistent volume in the cloud (its current content is not copied)`,
    };
  }
  return {
    cloud: 'refused',
    reason: `mounts ${source} from outside the project, which the cloud image cannot be built from`,
    refusal: {
      rule: 'host-path',
      fix: 'move it into the project directory (it is then copied into the image), or use a named volume',
    },
  };
}

/** A file, or a read-only directory, of the project is configuration: baked into the image. */
function readProjectMount(source: string, v: VolumeOf, ctx: MountContext): VolumeReading {
  const where = relative(ctx.projectDir, source);
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

/** Host-namespace and device settings: none exists on Fargate. */
export function hostOnlyRefusals(
  s: Pick<ServiceModel, 'name' | 'pid' | 'ipc' | 'devices'>,
  ctx: MountContext,
): Refusal[] {
  const out: Refusal[] = [];
  const at = (key: string) => ({
    path: formatPath(['services', s.name, key]),
    location: ctx.locate(['services', s.name, key]),
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
  if (s.devices.length > 0) {
    out.push({
      rule: 'devices',
      ...at('devices'),
      message: `maps host devices (${s.devices.join(', ')}), which Fargate cannot`,
      fix: 'remove `devices:`, or keep the service out of the cloud with `x-shipshape: { local-only: true }`',
    });
  }
  return out;
}
