import { demuxLogs } from '../engine/logs.js';
import type Docker from 'dockerode';
import { ShipshapeError } from '../model/errors.js';
import { probeUntil, runTestCommand, type ProbeResult } from './probes.js';
import { TRACE_MOUNT, TRACER_MOUNT, traceCommand, type TracerBundle } from './tracer.js';

/**
 * One exercise of an image: start it with shipshape's hardened settings (optionally under the
 * tracer), run the HTTP probes and the user's test, stop it, and collect logs. The same function
 * runs the traced original and the untraced slim image, so both see identical conditions.
 */

export interface ExerciseSpec {
  docker: Docker;
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
  /** HTTP paths probed on every port. */
  paths: string[];
  /** Test command run on the host after the HTTP probes pass. Default none. */
  test?: string;
  /** Where the test command runs (the project directory). */
  testCwd: string;
  /** Read-only root filesystem (shipshape's default unless the service sets `read_only: false`). */
  readOnly: boolean;
  /** tmpfs mounts (`path` → options). */
  tmpfs: Record<string, string>;
  /** Capabilities added back after dropping ALL (the service's `cap_add`). Default none. */
  capAdd: string[];
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
  /** Container stdout+stderr (last 256 KiB). */
  logs: string;
}

export async function exercise(spec: ExerciseSpec): Promise<ExerciseResult> {
  const { docker } = spec;
  if (spec.argv.length === 0) {
    throw new ShipshapeError(`image ${spec.image} has no entrypoint or command to run`, {
      hint: 'set `command:` in the compose file, or CMD in the Dockerfile',
    });
  }
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of spec.ports) {
    exposed[`${p}/tcp`] = {};
    // Loopback only: the probes run on this host and nothing else should reach the app.
    bindings[`${p}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: '' }];
  }
  const binds: string[] = [];
  let argv = spec.argv;
  if (spec.tracer) {
    binds.push(`${spec.tracer.bundle.dir}:${TRACER_MOUNT}:ro`, `${spec.tracer.traceDir}:${TRACE_MOUNT}:rw`);
    argv = traceCommand(spec.tracer.bundle, spec.argv);
  }
  const container = await docker.createContainer({
    name: spec.name,
    Image: spec.image,
    Entrypoint: argv,
    Env: spec.env,
    User: spec.user,
    ExposedPorts: exposed,
    Labels: spec.labels,
    HostConfig: {
      PortBindings: bindings,
      ReadonlyRootfs: spec.readOnly,
      Tmpfs: spec.tmpfs,
      // Least privilege for both runs. The traced run needs no SYS_PTRACE: strace runs as the
      // same non-root user as the program it starts and traces only its own children, which
      // the kernel and Docker's default seccomp profile allow without any capability.
      CapDrop: ['ALL'],
      CapAdd: spec.capAdd,
      SecurityOpt: ['no-new-privileges:true'],
      Binds: binds,
      NetworkMode: spec.network,
    },
    NetworkingConfig: spec.network
      ? { EndpointsConfig: { [spec.network]: { Aliases: spec.aliases } } }
      : undefined,
  });
  const probes: ProbeResult[] = [];
  try {
    await container.start();
    const info = await container.inspect();
    const alive = async () => (await container.inspect()).State.Running;
    const deadline = Date.now() + spec.startupTimeoutMs;
    let firstHostPort: number | undefined;
    for (const port of spec.ports) {
      const hostPort = Number(info.NetworkSettings.Ports[`${port}/tcp`]?.[0]?.HostPort);
      firstHostPort ??= hostPort;
      for (const path of spec.paths) {
        spec.onProgress(`probe GET ${path} on port ${port}`);
        probes.push(await probeUntil(hostPort, port, path, deadline, alive));
      }
    }
    if (spec.ports.length === 0) {
      // No port to probe: a batch program. It passes when it exits 0 within the timeout.
      spec.onProgress('waiting for the program to exit (no exposed port)');
      const waited = await Promise.race([
        container.wait() as Promise<{ StatusCode: number }>,
        new Promise<undefined>((r) => setTimeout(() => r(undefined), spec.startupTimeoutMs)),
      ]);
      probes.push({
        name: 'exit code',
        ok: waited?.StatusCode === 0,
        detail: waited
          ? `exited with ${waited.StatusCode}`
          : `still running after ${spec.startupTimeoutMs} ms`,
      });
    }
    if (spec.test && probes.every((p) => p.ok)) {
      spec.onProgress(`test: ${spec.test}`);
      probes.push(
        await runTestCommand(
          spec.test,
          { host: '127.0.0.1', port: firstHostPort },
          { cwd: spec.testCwd, timeoutMs: Math.max(spec.startupTimeoutMs, 300_000) },
        ),
      );
    }
  } finally {
    await container.stop({ t: 5 }).catch(() => undefined);
  }
  const raw = (await container.logs({ stdout: true, stderr: true, tail: 2000 })) as unknown as Buffer;
  await container.remove({ force: true, v: true }).catch(() => undefined);
  return {
    ok: probes.length > 0 && probes.every((p) => p.ok),
    probes,
    logs: demuxLogs(raw).slice(-256 * 1024),
  };
}
