import type { NormalizedService } from '../normalize.js';
import type { Refusal, SourceLocation, UserDecision } from '../types.js';
import type { DocPath } from '../yaml-source.js';
import { formatPath } from '../yaml-source.js';

/** The first port a process without CAP_NET_BIND_SERVICE may bind, on Fargate as in the kernel. */
const UNPRIVILEGED_PORT_START = 1024;

/**
 * Fargate does not let a non-root process bind a port below 1024 (it may add no capability but
 * SYS_PTRACE, and keeps the kernel's `ip_unprivileged_port_start`), while Docker lets any process
 * bind any port: nginx as uid 101 on port 80 runs on a laptop and crashes in the cloud. Refused
 * here, before anything is deployed, with the two ways out.
 */
export function lowPortRefusals(
  s: Pick<NormalizedService, 'name' | 'ports' | 'expose'>,
  user: UserDecision,
  listenPorts: readonly number[],
  locate: (path: DocPath) => SourceLocation,
): Refusal[] {
  if (user.root !== false) return [];
  const low = listenPorts.filter((p) => p < UNPRIVILEGED_PORT_START);
  if (low.length === 0) return [];
  const where: DocPath = s.ports.some((p) => low.includes(p.target))
    ? ['services', s.name, 'ports']
    : s.expose.some((p) => low.includes(p))
      ? ['services', s.name, 'expose']
      : ['services', s.name];
  const port = low[0]!;
  return [
    {
      rule: 'low-port',
      path: formatPath(where),
      location: locate(where),
      message: `${s.name} listens on ${low.join(', ')} as ${user.user ?? 'a non-root user'}; on Fargate a non-root process cannot bind a port below 1024`,
      fix: `make it listen on a port ≥ 1024 (e.g. ${port < 100 ? 8000 + port : 8000 + (port % 1000)}, published as "${port}:${port < 100 ? 8000 + port : 8000 + (port % 1000)}"), or run it as root (\`user: "0"\`) and acknowledge root-user`,
    },
  ];
}
