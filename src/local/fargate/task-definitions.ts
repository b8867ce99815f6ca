import { readFileSync } from 'node:fs';
import type { AppModel } from '../../model/types.js';

/**
 * The task definitions of a synthesized cloud assembly, as `up --fargate` runs them: read from the
 * CloudFormation templates CloudFormation would apply (not from the model), with every value the
 * cloud would resolve resolved to its local stand-in (see `LocalValues`).
 *
 * Each resource is attributed to a compose service by its CDK construct path (the
 * `aws:cdk:path` metadata synth writes: `Shared/App/<service>/Service/Task/Resource`).
 */

/** ECS container dependency conditions. */
export type TaskCondition = 'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY';

export interface TaskContainer {
  name: string;
  essential: boolean;
  /** The image as the template says it (a string, or an unresolved reference to the service's repository). */
  image: unknown;
  user?: string;
  command?: string[];
  entryPoint?: string[];
  workingDirectory?: string;
  readonlyRootFilesystem: boolean;
  environment: Record<string, unknown>;
  /** Secret variables: name → the template's `ValueFrom` (unresolved). */
  secrets: Record<string, unknown>;
  healthCheck?: {
    command: string[];
    interval: number;
    timeout: number;
    retries: number;
    startPeriod: number;
  };
  dependsOn: { container: string; condition: TaskCondition }[];
  mountPoints: { containerPath: string; sourceVolume: string; readOnly: boolean }[];
  capabilities: { drop: string[]; add: string[] };
  portMappings: { containerPort: number; protocol: 'tcp' | 'udp' }[];
}

export interface TaskVolumeDefinition {
  name: string;
  /** EFS: persistent, shared; else a task volume (empty, root-owned, removed with the task). */
  efs: boolean;
}

export interface LocalTaskDefinition {
  /** The compose service. */
  service: string;
  /** `service`: an ECS service runs it; `job`: deploy runs it once. */
  kind: 'service' | 'job';
  containers: TaskContainer[];
  volumes: TaskVolumeDefinition[];
  cpuArchitecture: string;
}

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

/** Which compose service a resource belongs to, from its construct path. */
export function serviceOfPath(path: string | undefined, services: ReadonlySet<string>): string | undefined {
  for (const segment of (path ?? '').split('/').slice(1)) {
    if (services.has(segment)) return segment;
    const name = segment.startsWith('service-') ? segment.slice('service-'.length) : undefined;
    if (name && services.has(name)) return name;
  }
  return undefined;
}

/** Every task definition of the assembly's templates, by compose service. */
export function readTaskDefinitions(
  app: AppModel,
  templateFiles: readonly string[],
): Map<string, LocalTaskDefinition> {
  const names = new Set(app.services.map((s) => s.name));
  const out = new Map<string, LocalTaskDefinition>();
  for (const file of templateFiles) {
    const resources =
      (JSON.parse(readFileSync(file, 'utf8')) as { Resources?: Record<string, Resource> }).Resources ?? {};
    for (const r of Object.values(resources)) {
      if (r.Type !== 'AWS::ECS::TaskDefinition') continue;
      const service = serviceOfPath(r.Metadata?.['aws:cdk:path'] as string | undefined, names);
      if (service) out.set(service, taskDefinition(service, r));
    }
  }
  return out;
}

const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.map((x) => String(x)) : undefined;

function taskDefinition(service: string, r: Resource): LocalTaskDefinition {
  const p = r.Properties ?? {};
  const platform = (p.RuntimePlatform ?? {}) as Record<string, unknown>;
  return {
    service,
    kind: r.Metadata?.['shipshape:job'] ? 'job' : 'service',
    containers: list(p.ContainerDefinitions).map(container),
    volumes: list(p.Volumes).map((v) => ({
      name: String(v.Name),
      efs: v.EFSVolumeConfiguration !== undefined,
    })),
    cpuArchitecture: typeof platform.CpuArchitecture === 'string' ? platform.CpuArchitecture : 'X86_64',
  };
}

function container(c: Record<string, unknown>): TaskContainer {
  const linux = (c.LinuxParameters ?? {}) as { Capabilities?: { Drop?: string[]; Add?: string[] } };
  const hc = c.HealthCheck as Record<string, unknown> | undefined;
  return {
    name: String(c.Name),
    essential: c.Essential !== false,
    image: c.Image,
    ...(typeof c.User === 'string' ? { user: c.User } : {}),
    ...(strings(c.Command) ? { command: strings(c.Command) } : {}),
    ...(strings(c.EntryPoint) ? { entryPoint: strings(c.EntryPoint) } : {}),
    ...(typeof c.WorkingDirectory === 'string' ? { workingDirectory: c.WorkingDirectory } : {}),
    readonlyRootFilesystem: c.ReadonlyRootFilesystem === true,
    environment: Object.fromEntries(list(c.Environment).map((e) => [String(e.Name), e.Value])),
    secrets: Object.fromEntries(list(c.Secrets).map((e) => [String(e.Name), e.ValueFrom])),
    ...(hc
      ? {
          healthCheck: {
            command: strings(hc.Command) ?? [],
            interval: Number(hc.Interval ?? 30),
            timeout: Number(hc.Timeout ?? 5),
            retries: Number(hc.Retries ?? 3),
            startPeriod: Number(hc.StartPeriod ?? 0),
          },
        }
      : {}),
    dependsOn: list(c.DependsOn).map((d) => ({
      container: String(d.ContainerName),
      condition: String(d.Condition) as TaskCondition,
    })),
    mountPoints: list(c.MountPoints).map((m) => ({
      containerPath: String(m.ContainerPath),
      sourceVolume: String(m.SourceVolume),
      readOnly: m.ReadOnly === true,
    })),
    capabilities: { drop: linux.Capabilities?.Drop ?? [], add: linux.Capabilities?.Add ?? [] },
    portMappings: list(c.PortMappings).map((m) => ({
      containerPort: Number(m.ContainerPort),
      protocol: m.Protocol === 'udp' ? 'udp' : 'tcp',
    })),
  };
}
