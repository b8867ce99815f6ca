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
 * Where a service runs in the cloud, decided once here; `synth`, `deploy`, `check`, `report` and
 * the diagram read `intent.placement` (and the helpers below), never re-derive it.
 */
export function decidePlacement(
  s: Pick<NormalizedService, 'x'>,
  datastore: DatastoreIntent | undefined,
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
  return { placement: 'service', placementReason: 'an ECS service on Fargate' };
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

/** The load balancer an entry of this protocol needs: HTTP(S) an application one, TCP/UDP a network one. */
export function balancerFor(protocol: EntryProtocol): Balancer {
  return protocol === 'http' || protocol === 'https' ? 'application' : 'network';
}
