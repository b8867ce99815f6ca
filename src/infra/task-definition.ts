import { Duration, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { HealthCheck } from '../model/types.js';
import {
  DEFAULT_CAPABILITIES,
  type ContainerRuntime,
  type RuntimePort,
  type TaskRuntime,
} from '../runtime/task.js';
import type { FargateSize } from './fargate.js';

/**
 * Renders the runtime spec (src/runtime/task.ts) as an ECS Fargate task definition: the same
 * containers, users, capabilities, read-only roots, writable paths, ports, health checks and
 * container dependencies that `up` gives the local containers.
 */

/**
 * Where a compose secret's value is in the cloud: a Secrets Manager secret, whole, or one JSON key
 * of it (the generated password of a managed datastore the secret stands for).
 */
export interface SecretSource {
  readonly secret: secretsmanager.ISecret;
  /** @default the whole secret string */
  readonly field?: string;
}

export interface TaskDefinitionProps {
  readonly runtime: TaskRuntime;
  readonly size: FargateSize;
  /** The service's own image (built, or from its registry). */
  readonly appImage: ecs.ContainerImage;
  /**
   * The image of a helper container (the init container's BusyBox) from its reference.
   * @default ecs.ContainerImage.fromRegistry(reference)
   */
  readonly helperImage?: (reference: string) => ecs.ContainerImage;
  /** The app container's plain variables. */
  readonly environment: Record<string, string>;
  /** The app container's secret variables. */
  readonly secrets: Record<string, ecs.Secret>;
  /** Where each compose secret's value is, by top-level secret name (for the init container). */
  readonly secretSources: ReadonlyMap<string, SecretSource>;
  /** The awslogs driver of a container, by its stream prefix. */
  readonly logging: (streamPrefix: string) => ecs.LogDriver;
  /** @default X86_64 */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
}

export interface RenderedTask {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The app container. */
  readonly container: ecs.ContainerDefinition;
}

export function renderTaskDefinition(scope: Construct, id: string, props: TaskDefinitionProps): RenderedTask {
  const task = new ecs.FargateTaskDefinition(scope, id, {
    cpu: props.size.cpu,
    memoryLimitMiB: props.size.memoryMiB,
    runtimePlatform: {
      operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
    },
  });
  // Task volumes without a host path: Fargate bind mounts on the task's ephemeral storage.
  for (const v of props.runtime.volumes) task.addVolume({ name: v.name });
  const byName = new Map(props.runtime.containers.map((c) => [c.name, addContainer(scope, task, c, props)]));
  for (const c of props.runtime.containers)
    for (const d of c.dependsOn)
      byName.get(c.name)!.addContainerDependencies({
        container: byName.get(d.container)!,
        condition: ecs.ContainerDependencyCondition[d.condition],
      });
  const app = props.runtime.containers.find((c) => c.role === 'app')!;
  return { taskDefinition: task, container: byName.get(app.name)! };
}

function addContainer(
  scope: Construct,
  task: ecs.FargateTaskDefinition,
  c: ContainerRuntime,
  props: TaskDefinitionProps,
): ecs.ContainerDefinition {
  const app = c.role === 'app';
  const container = task.addContainer(c.name, {
    containerName: c.name,
    image: app ? props.appImage : (props.helperImage ?? ecs.ContainerImage.fromRegistry)(c.image),
    essential: c.essential,
    user: c.user,
    command: c.command ? [...c.command] : undefined,
    entryPoint: c.entrypoint ? [...c.entrypoint] : undefined,
    workingDirectory: c.workingDir,
    readonlyRootFilesystem: c.readOnlyRoot,
    environment: app ? props.environment : {},
    secrets: app ? props.secrets : initSecrets(c, props.secretSources),
    healthCheck: ecsHealthCheck(c.healthCheck),
    stopTimeout: Duration.seconds(app ? 30 : 2),
    logging: props.logging(app ? props.runtime.service : `${props.runtime.service}-${c.name}`),
    portMappings: c.ports.map(portMapping),
    linuxParameters: new ecs.LinuxParameters(scope, `${c.name}-linux`),
  });
  const caps = capabilityChanges(c.capabilities);
  container.linuxParameters!.dropCapabilities(...caps.drop);
  if (caps.add.length > 0) container.linuxParameters!.addCapabilities(...caps.add);
  container.addMountPoints(
    ...c.mounts.map((m) => ({ containerPath: m.path, sourceVolume: m.volume, readOnly: m.readOnly })),
  );
  if (app && Object.keys(props.environment).length > 0) {
    Validations.of(task).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'Only non-sensitive variables are set directly; every credential-looking variable and compose secret is a Secrets Manager reference.',
    });
  }
  return container;
}

/** Each secret file's value, as the ECS secret the init container writes to the file. */
function initSecrets(
  c: ContainerRuntime,
  sources: ReadonlyMap<string, SecretSource>,
): Record<string, ecs.Secret> {
  const out: Record<string, ecs.Secret> = {};
  for (const f of c.secretFiles) {
    const source = sources.get(f.secret);
    if (!source) throw new Error(`internal: no secret source for compose secret "${f.secret}"`);
    out[f.variable] = ecs.Secret.fromSecretsManager(source.secret, source.field);
  }
  return out;
}

/**
 * The kept capabilities as ECS drop and add lists. Fargate accepts any drop but adds only
 * SYS_PTRACE, so a kept capability of Docker's default set is expressed by not dropping it (drop
 * ALL when none is kept); one outside the default set must be added.
 */
export function capabilityChanges(keep: readonly string[]): {
  drop: ecs.Capability[];
  add: ecs.Capability[];
} {
  const defaults: readonly string[] = DEFAULT_CAPABILITIES;
  const kept = new Set(keep);
  const drop = [...kept].every((c) => defaults.includes(c))
    ? kept.size === 0
      ? ['ALL']
      : defaults.filter((c) => !kept.has(c))
    : ['ALL'];
  const add = drop[0] === 'ALL' ? [...kept] : [...kept].filter((c) => !defaults.includes(c));
  return { drop: drop as ecs.Capability[], add: add as ecs.Capability[] };
}

function portMapping(p: RuntimePort): ecs.PortMapping {
  return {
    containerPort: p.port,
    name: p.name,
    protocol: p.protocol === 'udp' ? ecs.Protocol.UDP : ecs.Protocol.TCP,
  };
}

/**
 * ECS health checks accept narrower ranges than compose (interval 5–300 s, timeout 2–60 s and
 * shorter than the interval, retries 1–10, start period 0–300 s); clamp into them.
 */
export function ecsHealthCheck(hc: HealthCheck | undefined): ecs.HealthCheck | undefined {
  if (!hc || hc.disabled || hc.test.length === 0 || hc.test[0] === 'NONE') return undefined;
  const seconds = (ms: number, min: number, max: number) =>
    Math.min(max, Math.max(min, Math.round(ms / 1000)));
  const interval = seconds(hc.intervalMs, 5, 300);
  const timeout = Math.min(seconds(hc.timeoutMs, 2, 60), interval - 1);
  return {
    command: hc.test,
    interval: Duration.seconds(interval),
    timeout: Duration.seconds(timeout),
    retries: Math.min(10, Math.max(1, hc.retries)),
    startPeriod: Duration.seconds(seconds(hc.startPeriodMs, 0, 300)),
  };
}
