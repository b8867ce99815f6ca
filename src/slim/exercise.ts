import { demuxLogs } from '../engine/logs.js';
import type Docker from 'dockerode';
import { ShipshapeError } from '../model/errors.js';
import { hardenedHostConfig, type Hardening } from '../engine/container-spec.js';
import type { RunScope } from '../engine/run-scope.js';
import { probeUntil, runTestCommand, tcpAccepts, type ProbeResult } from './probes.js';
import { TRACE_MOUNT, TRACER_MOUNT, traceCommand, type TracerBundle } from './tracer.js';

/**
 * One exercise of an image: start it with shipshape's hardened settings (optionally under the
 * tracer), run the HTTP probes and the user's test, stop it, and collect logs. The same function
 * runs the traced original and the untraced slim image, so both see identical conditions.
 */

export interface ExerciseSpec {
  docker: Docker;
  /** The slim run's scope: the container is created through it (and undone on Ctrl-C). */
  scope: RunScope;
  /** Image id or reference. */
  image: string;
  /** Container name (unique per run). */
  name: string;
  /** The full program argv (entrypoint + command). */
  argv: string[];
  /** Extra environment (`KEY=value`) on top of the image's. Default none. */
  env: string[];
  /** `uid:gid` to run as. */
  user: string;
  /** Container ports to publish on 127.0.0.1 (ephemeral host ports) and probe. */
  ports: number[];
  /**
   * `ports` are only candidates (an image's EXPOSE, which may name ports nothing listens on):
   * probe those that accept connections once the first one does. Default false: all must answer.
   */
  discoverPorts?: boolean;
  /** HTTP paths probed on every port. */
  paths: string[];
  /** Test command run on the host after the HTTP probes pass. Default none. */
  test?: string;
  /** Where the test command runs (the project directory). */
  testCwd: string;
  /** The service's hardening, as `up` applies it (src/engine/container-spec.ts). */
  hardening: Hardening;
  /** Network to join, with DNS aliases. Default the engine's bridge. */
  network?: string;
  aliases: string[];
  labels: Record<string, string>;
  /** Inject the tracer: the bundle and the host directory receiving the trace. */
  tracer?: { bundle: TracerBundle; traceDir: string };
  /** How long the app may take to answer its first probe (or to exit, without ports). */
  startupTimeoutMs: number;
  /** Progress lines. */
  onProgress: (line: string) => void;
}

export interface ExerciseResult {
  ok: boolean;
  probes: ProbeResult[];
  /** The ports probed (with `discoverPorts`, those found listening). */
  ports: number[];
  /** Container stdout+stderr (last 256 KiB). */
  logs: string;
}

export async function exercise(spec: ExerciseSpec): Promise<ExerciseResult> {
  if (spec.argv.length === 0) {
    throw new ShipshapeError(`image ${spec.image} has no entrypoint or command to run`, {
      hint: 'set `command:` in the compose file, or CMD in the Dockerfile',
    });
  }
  const container = await createExerciseContainer(spec);
  let probes: ProbeResult[] = [];
  let ports = spec.ports;
  try {
    await container.start();
    ({ probes, ports } = await runProbes(spec, container));
  } finally {
    await container.stop({ t: 5 }).catch(() => undefined);
  }
  const raw = (await container.logs({ stdout: true, stderr: true, tail: 2000 })) as unknown as Buffer;
  await container.remove({ force: true, v: true }).catch(() => undefined);
  return {
    ok: probes.length > 0 && probes.every((p) => p.ok),
    probes,
    ports,
    logs: demuxLogs(raw).slice(-256 * 1024),
  };
}

/** The program under the hardening `up` gives it, its ports on 127.0.0.1, optionally under the tracer. */
async function createExerciseContainer(spec: ExerciseSpec): Promise<Docker.Container> {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of spec.ports) {
    exposed[`${p}/tcp`] = {};
    // Loopback only: the probes run on this host and nothing else should reach the app.
    bindings[`${p}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: '' }];
  }
  const tracer = spec.tracer;
  return spec.scope.create(() =>
    spec.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Entrypoint: tracer ? traceCommand(tracer.bundle, spec.argv) : spec.argv,
      Env: spec.env,
      User: spec.user,
      ExposedPorts: exposed,
      Labels: spec.labels,
      HostConfig: {
        // Least privilege for both runs, as `up` runs the service. The traced run needs no
        // SYS_PTRACE: strace runs as the same non-root user as the program it starts and traces
        // only its own children, which the kernel and Docker's default seccomp profile allow
        // without any capability.
        ...hardenedHostConfig(spec.hardening),
        PortBindings: bindings,
        Binds: tracer
          ? [`${tracer.bundle.dir}:${TRACER_MOUNT}:ro`, `${tracer.traceDir}:${TRACE_MOUNT}:rw`]
          : [],
        NetworkMode: spec.network,
      },
      NetworkingConfig: spec.network
        ? { EndpointsConfig: { [spec.network]: { Aliases: spec.aliases } } }
        : undefined,
    }),
  );
}

/** HTTP probes on every port (or the exit code, without ports), then the user's test. */
async function runProbes(
  spec: ExerciseSpec,
  container: Docker.Container,
): Promise<{ probes: ProbeResult[]; ports: number[] }> {
  const probes: ProbeResult[] = [];
  const info = await container.inspect();
  const alive = async () => (await container.inspect()).State.Running;
  const deadline = Date.now() + spec.startupTimeoutMs;
  const hostPortOf = new Map(
    spec.ports.map((port) => [port, Number(info.NetworkSettings.Ports[`${port}/tcp`]?.[0]?.HostPort)]),
  );
  const ports =
    spec.discoverPorts && spec.ports.length > 1
      ? await listeningPorts(spec, hostPortOf, deadline, alive)
      : spec.ports;
  const hostPorts = ports.map((p) => hostPortOf.get(p)!);
  for (const [i, port] of ports.entries()) {
    for (const path of spec.paths) {
      spec.onProgress(`probe GET ${path} on port ${port}`);
      probes.push(await probeUntil(hostPorts[i]!, port, path, deadline, alive));
    }
  }
  if (ports.length === 0) probes.push(await exitCodeProbe(spec, container));
  if (spec.test && probes.every((p) => p.ok)) {
    spec.onProgress(`test: ${spec.test}`);
    probes.push(
      await runTestCommand(
        spec.test,
        { host: '127.0.0.1', port: hostPorts[0] },
        { cwd: spec.testCwd, timeoutMs: Math.max(spec.startupTimeoutMs, 300_000) },
      ),
    );
  }
  return { probes, ports };
}

const LISTEN_GRACE_MS = 3000;

/**
 * Of an image's EXPOSEd ports, those something listens on: once the first accepts a connection,
 * the others get a short grace; one still refusing then is left out (and said so). When none
 * answers before the deadline, all stay, so the probes say what failed.
 */
async function listeningPorts(
  spec: ExerciseSpec,
  hostPortOf: ReadonlyMap<number, number>,
  deadline: number,
  alive: () => Promise<boolean>,
): Promise<number[]> {
  const open = new Set<number>();
  let graceEnds: number | undefined;
  while (open.size < spec.ports.length) {
    for (const port of spec.ports.filter((p) => !open.has(p)))
      if (await tcpAccepts(hostPortOf.get(port)!)) open.add(port);
    if (open.size > 0) graceEnds ??= Date.now() + LISTEN_GRACE_MS;
    const now = Date.now();
    if ((graceEnds !== undefined && now > graceEnds) || now > deadline || !(await alive())) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  if (open.size === 0) return spec.ports;
  for (const port of spec.ports.filter((p) => !open.has(p)))
    spec.onProgress(
      `port ${port} is EXPOSEd but nothing listens on it; not probed (choose ports with --port)`,
    );
  return spec.ports.filter((p) => open.has(p));
}

/** No port to probe: a batch program. It passes when it exits 0 within the timeout. */
async function exitCodeProbe(spec: ExerciseSpec, container: Docker.Container): Promise<ProbeResult> {
  spec.onProgress('waiting for the program to exit (no exposed port)');
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([
    container.wait() as Promise<{ StatusCode: number }>,
    new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), spec.startupTimeoutMs))),
  ]);
  clearTimeout(timer);
  return {
    name: 'exit code',
    ok: waited?.StatusCode === 0,
    detail: waited ? `exited with ${waited.StatusCode}` : `still running after ${spec.startupTimeoutMs} ms`,
  };
}
