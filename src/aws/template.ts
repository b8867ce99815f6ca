/**
 * What a deployed CloudFormation template says about the app's ECS services and jobs, resolved
 * to physical ids. The template is what CloudFormation applied; ECS describes most of it too, but
 * not all (a job has no ECS service to describe) and not everywhere (the moto emulator reads
 * services back without their network configuration and load balancers), so the day-2 verbs read
 * both and prefer ECS's own answer where it has one. Pure: the look-ups happen in environment.ts.
 */

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export interface Template {
  Resources?: Record<string, TemplateResource>;
}

/** What intrinsic functions resolve against. */
export interface ResolveContext {
  /** Logical id → physical id, for the stack's resources. */
  physical: Record<string, string>;
  /** The stack's parameter values. */
  parameters: Record<string, string>;
  /** CloudFormation exports (name → value), for split stacks' Fn::ImportValue. */
  exports: Record<string, string>;
  region: string;
}

/** A service as its template declares it (values unresolved). */
export interface TemplateService {
  logicalId: string;
  serviceName?: string;
  cluster: unknown;
  taskDefinition?: string;
  targetGroups: unknown[];
  subnets: unknown[];
  securityGroups: unknown[];
  assignPublicIp?: string;
  launchType?: string;
  capacityProviderStrategy?: { capacityProvider: string; weight?: number; base?: number }[];
  platformVersion?: string;
}

/** A task definition no service runs: a job (run once by deploy). */
export interface TemplateJob {
  logicalId: string;
  /** The name of its (first) essential container: the compose service it runs. */
  name: string;
  /** Where synth says it runs (src/infra/service.ts JOB_METADATA), values unresolved. */
  cluster?: unknown;
  subnets: unknown[];
  securityGroups: unknown[];
  /** The services that wait for it to complete. */
  waitedOnBy: string[];
}

const AT_ID_ATTRIBUTES = new Set(['GroupId', 'Name', 'Ref']);

/**
 * Resolve the intrinsic functions the service and task definition properties use: Ref (resources,
 * parameters, the region), Fn::GetAtt of a security group's GroupId (its physical id), Fn::ImportValue
 * (exports) and Fn::Join. Anything else is undefined: the caller says what it could not find.
 */
export function resolveValue(value: unknown, ctx: ResolveContext): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === 'string') {
    if (v.Ref === 'AWS::Region') return ctx.region;
    return ctx.physical[v.Ref] ?? ctx.parameters[v.Ref];
  }
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id, attribute] = v['Fn::GetAtt'] as [string, string];
    return AT_ID_ATTRIBUTES.has(attribute) ? ctx.physical[id] : undefined;
  }
  if (v['Fn::ImportValue'] !== undefined) {
    const name = resolveValue(v['Fn::ImportValue'], ctx);
    return name === undefined ? undefined : ctx.exports[name];
  }
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    const resolved = parts.map((p) => resolveValue(p, ctx));
    return resolved.every((p) => p !== undefined) ? resolved.join(separator) : undefined;
  }
  return undefined;
}

/** Every value resolved, or undefined when one is not. */
export function resolveAll(values: unknown[], ctx: ResolveContext): string[] | undefined {
  const out = values.map((v) => resolveValue(v, ctx));
  return out.every((v) => v !== undefined) ? (out as string[]) : undefined;
}

/** Whether resolving `values` needs the account's exports (split stacks import the network). */
export function needsExports(values: unknown[]): boolean {
  return JSON.stringify(values).includes('"Fn::ImportValue"');
}

const refOf = (v: unknown) =>
  v && typeof v === 'object' && typeof (v as { Ref?: unknown }).Ref === 'string'
    ? (v as { Ref: string }).Ref
    : undefined;

const arrayOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The ECS services a template declares. */
export function templateServices(template: Template): TemplateService[] {
  const out: TemplateService[] = [];
  for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
    if (r.Type !== 'AWS::ECS::Service') continue;
    const p = r.Properties ?? {};
    const awsvpc = ((p.NetworkConfiguration as Record<string, unknown> | undefined)?.AwsvpcConfiguration ??
      {}) as Record<string, unknown>;
    out.push({
      logicalId,
      serviceName: typeof p.ServiceName === 'string' ? p.ServiceName : undefined,
      cluster: p.Cluster,
      taskDefinition: refOf(p.TaskDefinition),
      targetGroups: arrayOf(p.LoadBalancers).map((lb) => (lb as Record<string, unknown>).TargetGroupArn),
      subnets: arrayOf(awsvpc.Subnets),
      securityGroups: arrayOf(awsvpc.SecurityGroups),
      assignPublicIp: typeof awsvpc.AssignPublicIp === 'string' ? awsvpc.AssignPublicIp : undefined,
      launchType: typeof p.LaunchType === 'string' ? p.LaunchType : undefined,
      capacityProviderStrategy: arrayOf(p.CapacityProviderStrategy).map((c) => {
        const s = c as Record<string, unknown>;
        return {
          capacityProvider: String(s.CapacityProvider),
          ...(typeof s.Weight === 'number' ? { weight: s.Weight } : {}),
          ...(typeof s.Base === 'number' ? { base: s.Base } : {}),
        };
      }),
      platformVersion: typeof p.PlatformVersion === 'string' ? p.PlatformVersion : undefined,
    });
  }
  return out;
}

/** The task definitions no service of the template runs: the app's jobs. */
export function templateJobs(template: Template): TemplateJob[] {
  const resources = Object.entries(template.Resources ?? {});
  const used = new Set(templateServices(template).map((s) => s.taskDefinition));
  const out: TemplateJob[] = [];
  for (const [logicalId, r] of resources) {
    if (r.Type !== 'AWS::ECS::TaskDefinition' || used.has(logicalId)) continue;
    const containers = arrayOf(r.Properties?.ContainerDefinitions) as Record<string, unknown>[];
    const main = containers.find((c) => c.Essential !== false) ?? containers[0];
    const job = (r.Metadata?.['shipshape:job'] ?? {}) as Record<string, unknown>;
    out.push({
      logicalId,
      name:
        typeof job.service === 'string'
          ? job.service
          : typeof main?.Name === 'string'
            ? main.Name
            : logicalId,
      cluster: job.cluster,
      subnets: arrayOf(job.subnets),
      securityGroups: arrayOf(job.securityGroups),
      waitedOnBy: arrayOf(job.waitedOnBy).filter((x): x is string => typeof x === 'string'),
    });
  }
  return out;
}
