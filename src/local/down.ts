import type Docker from 'dockerode';
import type { AppModel } from '../model/types.js';
import { LABELS, removeByLabel, type RemovedCounts } from '../engine/client.js';
import { LOCAL_ROLES } from './plan.js';

/**
 * Remove every container and network `up` made for the app (and its volumes with `volumes`),
 * found by label: replicas and gateways, then the shared networks and volumes. Objects of the
 * same app made by other commands (slim, tests) carry other roles and are left alone.
 */
export async function down(
  app: AppModel | string,
  options: { volumes?: boolean; docker?: Docker } = {},
): Promise<RemovedCounts> {
  const name = typeof app === 'string' ? app : app.name;
  const byRole = (role: string, opts = options) =>
    removeByLabel({ [LABELS.managed]: undefined, [LABELS.app]: name, [LABELS.role]: role }, opts);
  const counts = [
    ...(await Promise.all([byRole(LOCAL_ROLES.replica), byRole(LOCAL_ROLES.gateway)])),
    // A task's init containers and task volumes (`up --fargate`) live only as long as the task.
    await byRole(LOCAL_ROLES.task, { ...options, volumes: true }),
    await byRole(LOCAL_ROLES.shared),
  ];
  return {
    containers: counts.reduce((n, c) => n + c.containers, 0),
    networks: counts.reduce((n, c) => n + c.networks, 0),
    volumes: counts.reduce((n, c) => n + c.volumes, 0),
  };
}
