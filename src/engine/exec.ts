import type Docker from 'dockerode';
import { demuxLogs } from './logs.js';

export interface ExecResult {
  /** Exit code; undefined when the command did not finish within the timeout. */
  exitCode?: number;
  /** stdout and stderr, interleaved. */
  output: string;
}

export interface ExecOptions {
  /** User to run as. Default the container's. */
  user?: string;
  /** Stop waiting after this long (the process is left to finish on its own). Default none. */
  timeoutMs?: number;
}

/** Run `cmd` in a running container and wait for it to finish (or for `timeoutMs`). */
export async function execInContainer(
  docker: Docker,
  id: string,
  cmd: string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const exec = await docker.getContainer(id).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    ...(options.user ? { User: options.user } : {}),
  });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<boolean>((resolve) => {
    stream.on('end', () => resolve(true));
    stream.on('close', () => resolve(true));
    stream.on('error', () => resolve(true));
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    if (options.timeoutMs !== undefined) timer = setTimeout(() => resolve(false), options.timeoutMs);
  });
  const finished = await Promise.race([ended, timedOut]);
  clearTimeout(timer);
  const output = demuxLogs(Buffer.concat(chunks));
  if (!finished) {
    stream.destroy();
    return { output };
  }
  // The stream can end a moment before the engine records the exit code.
  for (let i = 0; ; i++) {
    const info = await exec.inspect();
    if (!info.Running || i >= 20) return { exitCode: info.ExitCode ?? undefined, output };
    await new Promise((r) => setTimeout(r, 10));
  }
}
