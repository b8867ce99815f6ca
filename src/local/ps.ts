import type Docker from 'dockerode';
import type { AppModel } from '../model/types.js';
import { LABELS, engine } from '../engine/client.js';
import { isLocalContainer } from './plan.js';

/** Every container `up` made for the app (replicas and gateways), running or not. */
export async function listLocalContainers(app: string, docker: Docker): Promise<Docker.ContainerInfo[]> {
  const filters = JSON.stringify({ label: [`${LABELS.app}=${app}`, LABELS.managed] });
  return (await docker.listContainers({ all: true, filters })).filter((c) => isLocalContainer(c.Labels));
}

export interface ReplicaStatus {
  service: string;
  /** 1-based replica, or `lb` for the gateway. */
  replica: string;
  name: string;
  id: string;
  state: string;
  /** `healthy`, `unhealthy`, `starting`, or `-` without a healthcheck. */
  health: string;
  /** Published ports as `host:port->target/tcp`. */
  ports: string[];
}

/** One row per container of the app, in service order then replica order. */
export async function ps(app: AppModel, docker: Docker = engine()): Promise<ReplicaStatus[]> {
  const list = await listLocalContainers(app.name, docker);
  const order = new Map(app.services.map((s, i) => [s.name, i]));
  const rows = list.map((c): ReplicaStatus => {
    const replica = c.Labels[LABELS.replica] ?? '?';
    const health =
      /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '') ?? '-';
    return {
      service: c.Labels[LABELS.service] ?? '?',
      replica: replica === '0' ? 'lb' : replica,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      id: c.Id.slice(0, 12),
      state: c.State,
      health,
      ports: c.Ports.filter((p) => p.PublicPort).map(
        (p) => `${p.IP}:${p.PublicPort}->${p.PrivatePort}/${p.Type}`,
      ),
    };
  });
  const replicaKey = (r: string) => (r === 'lb' ? 0 : Number(r));
  return rows.sort(
    (a, b) =>
      (order.get(a.service) ?? 99) - (order.get(b.service) ?? 99) ||
      a.service.localeCompare(b.service) ||
      replicaKey(a.replica) - replicaKey(b.replica),
  );
}
