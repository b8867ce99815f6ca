import type Docker from 'dockerode';
import { LABELS } from '../../engine/client.js';
import { UNPRIVILEGED_PORT_SYSCTL } from '../../engine/container-spec.js';
import type { AppModel } from '../../model/types.js';
import { INIT_IMAGE, ecsName } from '../../runtime/task.js';
import {
  LOCAL_ROLES,
  hashOf,
  type AppPlan,
  type PlannedContainer,
  type PlannedHelper,
  type PlannedVolume,
} from '../plan.js';
import type { LocalValues } from './local-values.js';
import type { LocalTaskDefinition, TaskContainer } from './task-definitions.js';

/**
 * `up --fargate`: the plan `up` makes (networks mirroring the security groups, a gateway per
 * called or published service standing in for the load balancer and Service Connect), with each
 * replica of a deployed service replaced by its task as the synthesized task definition states
 * it, run the way Fargate runs it:
 * - the app container's user, command, environment (with the stand-ins' endpoints), secrets (local
 *   values), capabilities (only those the task keeps), read-only root and health check, as written;
 * - no tmpfs: only the task's volumes are writable, and they start empty, owned by root, 0755;
 * - the kernel's low-port rule in the task's network namespace (`ip_unprivileged_port_start`);
 * - the containers the app depends on (the init container) run to completion first, without a
 *   network, and the app starts only when each meets its condition.
 * Managed datastores run as their local stand-ins, local-only services as `up` runs them.
 */

export interface FargateInputs {
  /** The task definitions of the synthesized assembly, by compose service. */
  tasks: ReadonlyMap<string, LocalTaskDefinition>;
  values: LocalValues;
  /** The local image of each service (built or pulled as `up` does). */
  images: Record<string, string>;
}

export function fargatePlan(app: AppModel, plan: AppPlan, inputs: FargateInputs): AppPlan {
  const volumes: PlannedVolume[] = [...plan.volumes];
  const containers = plan.containers.map((c) => {
    const task = c.role === 'service' ? inputs.tasks.get(c.service) : undefined;
    if (!task) return c;
    const replica = taskReplica(app, c, task, inputs);
    volumes.push(...replica.volumes);
    return replica.container;
  });
  return { ...plan, containers, volumes };
}

interface TaskReplica {
  container: PlannedContainer;
  volumes: PlannedVolume[];
}

function taskReplica(
  app: AppModel,
  c: PlannedContainer,
  task: LocalTaskDefinition,
  inputs: FargateInputs,
): TaskReplica {
  const main = task.containers.find((x) => x.name === ecsName(c.service)) ?? task.containers[0]!;
  // A task's volumes are its own: named after the replica and the task definition, so a changed
  // task starts with fresh ones, as on Fargate.
  const suffix = hashOf(task).slice(0, 8);
  const volumeName = (v: string) => `${c.name}-${suffix}-${v}`;
  const taskVolumes = task.volumes.filter((v) => !v.efs);
  const labels = {
    [LABELS.managed]: 'true',
    [LABELS.app]: app.name,
    [LABELS.service]: c.service,
    [LABELS.role]: LOCAL_ROLES.task,
  };
  const mounts = (x: TaskContainer) => taskMounts(x, c, volumeName, new Set(taskVolumes.map((v) => v.name)));
  const where = (name: string) => `${c.service} (${name})`;
  const spec: Docker.ContainerCreateOptions = {
    ...c.spec,
    Image: inputs.images[c.service] ?? c.spec.Image,
    User: main.user,
    Cmd: main.command,
    Entrypoint: main.entryPoint,
    WorkingDir: main.workingDirectory,
    Env: [...environment(main, inputs.values, where(main.name)), `SHIPSHAPE_REPLICA=${c.replica}`],
    Healthcheck: main.healthCheck ? dockerHealthcheck(main.healthCheck) : undefined,
    HostConfig: {
      ...c.spec.HostConfig,
      ...capabilities(main),
      ReadonlyRootfs: main.readonlyRootFilesystem,
      Tmpfs: {},
      Mounts: mounts(main),
      Sysctls: { [UNPRIVILEGED_PORT_SYSCTL]: '1024' },
    },
  };
  const before: PlannedHelper[] = main.dependsOn.map((d) => {
    const helper = task.containers.find((x) => x.name === d.container)!;
    return {
      name: `${c.name}-${helper.name}`,
      condition: d.condition === 'COMPLETE' ? 'COMPLETE' : 'SUCCESS',
      spec: helperSpec(
        helper,
        `${c.name}-${helper.name}`,
        labels,
        mounts(helper),
        inputs.values,
        where(helper.name),
      ),
    };
  });
  return {
    container: { ...c, spec, before, hash: hashOf({ spec, nets: c.networks, before, image: spec.Image }) },
    volumes: taskVolumes.map((v) => ({ name: volumeName(v.name), labels, task: true })),
  };
}

/** Task volumes as empty root-owned volumes (`NoCopy`); EFS volumes as the compose named volume `up` mounts there. */
function taskMounts(
  x: TaskContainer,
  c: PlannedContainer,
  volumeName: (v: string) => string,
  taskVolumes: ReadonlySet<string>,
): Docker.MountSettings[] {
  const compose = (c.spec.HostConfig?.Mounts ?? []) as Docker.MountSettings[];
  return x.mountPoints.flatMap((m): Docker.MountSettings[] => {
    if (taskVolumes.has(m.sourceVolume)) {
      return [
        {
          Type: 'volume',
          Source: volumeName(m.sourceVolume),
          Target: m.containerPath,
          ReadOnly: m.readOnly,
          VolumeOptions: { NoCopy: true },
        } as Docker.MountSettings,
      ];
    }
    const same = compose.find((v) => v.Target === m.containerPath && v.Type === 'volume');
    return same ? [{ ...same, ReadOnly: m.readOnly }] : [];
  });
}

function environment(x: TaskContainer, values: LocalValues, where: string): string[] {
  return [
    ...Object.entries(x.environment).map(([k, v]) => `${k}=${values.value(v, `${where} ${k}`)}`),
    ...Object.entries(x.secrets).map(([k, v]) => `${k}=${values.secret(v, `${where} ${k}`)}`),
  ];
}

/** ECS capabilities as Docker's: the drop list (ALL or names) and the added ones. */
function capabilities(x: TaskContainer): Pick<Docker.HostConfig, 'CapDrop' | 'CapAdd'> {
  return { CapDrop: [...x.capabilities.drop], CapAdd: [...x.capabilities.add] };
}

const NS_PER_S = 1_000_000_000;

function dockerHealthcheck(hc: NonNullable<TaskContainer['healthCheck']>): Docker.HealthConfig {
  return {
    Test: hc.command,
    Interval: hc.interval * NS_PER_S,
    Timeout: hc.timeout * NS_PER_S,
    Retries: hc.retries,
    StartPeriod: hc.startPeriod * NS_PER_S,
  };
}

/**
 * A helper container of the task (the init container): no network (it serves nothing and needs
 * none), its own user, command, capabilities and read-only root as the task states them. Its
 * image is the local one of the helper image the task names (scripts/dev-env.sh has a stand-in).
 */
function helperSpec(
  x: TaskContainer,
  name: string,
  labels: Record<string, string>,
  mounts: Docker.MountSettings[],
  values: LocalValues,
  where: string,
): Docker.ContainerCreateOptions {
  return {
    name,
    Image: typeof x.image === 'string' && !x.image.includes('.dkr.ecr.') ? x.image : INIT_IMAGE,
    User: x.user,
    Cmd: x.command,
    Entrypoint: x.entryPoint,
    Env: environment(x, values, where),
    Labels: labels,
    HostConfig: {
      NetworkMode: 'none',
      ...capabilities(x),
      ReadonlyRootfs: x.readonlyRootFilesystem,
      Mounts: mounts,
      SecurityOpt: ['no-new-privileges:true'],
      Memory: 64 * 1024 * 1024,
      PidsLimit: 32,
    },
  };
}
