import type {
  AppModel,
  Balancer,
  CloudPlacement,
  DatastoreIntent,
  EntryProtocol,
  ServiceModel,
} from '../types.js';
import type { NormalizedService } from '../normalize.js';

/**
 * Where a service runs in the cloud, decided once here; `synth`, `deploy`, `up`, `check`, `report`
 * and the diagram read `intent.placement` (and the helpers below), never re-derive it.
 *
 * A job is what compose runs once: a service others wait for with
 * `condition: service_completed_successfully` (migrations, init and setup steps), or one that says
 * `restart: "no"` and that nothing could be waiting on to serve (no ports, no healthcheck).
 * As an ECS service it would exit, be started again, and trip the deployment circuit breaker.
 */
export function decidePlacement(
  s: Pick<NormalizedService, 'name' | 'x' | 'restart' | 'ports' | 'expose' | 'healthcheck'>,
  datastore: DatastoreIntent | undefined,
  /** The services that wait for it with service_completed_successfully (completionWaiters). */
  waiters: readonly string[],
  adminTool?: string,
): { placement: CloudPlacement; placementReason: string } {
  if (s.x.localOnly)
    return { placement: 'local-only', placementReason: 'not deployed (x-shipshape.local-only)' };
  // An admin tool in the cloud would face the internet holding the database's credentials.
  if (adminTool && s.x.public !== true)
    return {
      placement: 'local-only',
      placementReason: `not deployed: ${adminTool} is a local admin tool (it would hold the database's credentials)`,
    };
  if (datastore?.cloud === 'managed')
    return {
      placement: 'managed',
      placementReason: `replaced by ${datastore.managedBy ?? 'a managed service'}`,
    };
  const job = jobReason(s, waiters);
  if (job) return { placement: 'job', placementReason: `a one-off task that runs to completion (${job})` };
  return { placement: 'service', placementReason: 'an ECS service on Fargate' };
}

/**
 * For each service, the services that wait for it to complete (`service_completed_successfully`),
 * in file order: one pass over every depends_on (a filter per service was quadratic).
 */
export function completionWaiters(
  services: readonly Pick<NormalizedService, 'name' | 'dependsOn'>[],
): ReadonlyMap<string, string[]> {
  const out = new Map<string, string[]>();
  for (const o of services)
    for (const d of o.dependsOn)
      if (d.condition === 'service_completed_successfully') {
        const list = out.get(d.service) ?? [];
        if (!list.includes(o.name)) list.push(o.name);
        out.set(d.service, list);
      }
  return out;
}

function jobReason(
  s: Pick<NormalizedService, 'name' | 'x' | 'restart' | 'ports' | 'expose' | 'healthcheck'>,
  waiting: readonly string[],
): string | undefined {
  if (s.x.job !== undefined) return s.x.job ? 'x-shipshape.job: true' : undefined;
  if (waiting.length > 0)
    return `${waiting.join(', ')} ${waiting.length === 1 ? 'waits' : 'wait'} for it with service_completed_successfully`;
  const serves = s.ports.length > 0 || s.expose.length > 0 || (s.healthcheck && !s.healthcheck.disabled);
  if (s.restart === 'no' && !serves) return 'restart: "no", and it serves no port';
  return undefined;
}

/** Whether the service runs as a container in the cloud (an ECS service or a job). */
export const runsAsCloudContainer = (s: ServiceModel): boolean =>
  s.intent.placement === 'service' || s.intent.placement === 'job';

/** Whether the service exists in the cloud at all (a container or a managed service). */
export const isDeployed = (s: ServiceModel): boolean => s.intent.placement !== 'local-only';

/** The services that run as containers in the cloud, in file order. */
export function cloudContainers(app: Pick<AppModel, 'services'>): ServiceModel[] {
  return app.services.filter(runsAsCloudContainer);
}

/** The services a managed AWS service replaces, in file order. */
export function managedServices(app: Pick<AppModel, 'services'>): ServiceModel[] {
  return app.services.filter((s) => s.intent.placement === 'managed');
}

/** The jobs: one-off tasks that run to completion, in file order. */
export function jobs(app: Pick<AppModel, 'services'>): ServiceModel[] {
  return app.services.filter((s) => s.intent.placement === 'job');
}

/** The services that wait for `job` to complete (`depends_on: {job: {condition: service_completed_successfully}}`). */
export function waitingFor(app: Pick<AppModel, 'services'>, job: string): string[] {
  return app.services
    .filter((s) =>
      s.dependsOn.some((d) => d.service === job && d.condition === 'service_completed_successfully'),
    )
    .map((s) => s.name);
}

/** The services that wait for one of the app's jobs. */
export function jobDependents(app: Pick<AppModel, 'services'>): string[] {
  const waiting = new Set(jobs(app).flatMap((j) => waitingFor(app, j.name)));
  return app.services.filter((s) => waiting.has(s.name)).map((s) => s.name);
}

/** The load balancer an entry of this protocol needs: HTTP(S) an application one, TCP/UDP a network one. */
export function balancerFor(protocol: EntryProtocol): Balancer {
  return protocol === 'http' || protocol === 'https' ? 'application' : 'network';
}
