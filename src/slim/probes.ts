import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { ShipshapeError } from '../model/errors.js';
import { onCleanup } from '../support/cleanup.js';

/**
 * Probes exercise the app during the traced run and judge the slim image: an HTTP GET on each
 * exposed port and path (2xx/3xx passes), then the user's test command on the host.
 */

export interface ProbeResult {
  /** `GET http://127.0.0.1:PORT/PATH (container port N)`, `test: CMD`, or `exit code`. */
  name: string;
  ok: boolean;
  /** Status line and the start of the body, the command's output, or the error. */
  detail: string;
}

/** Parse `http:/path` (or a bare `/path`) into a path. */
export function parseProbe(spec: string): string {
  const path = spec.startsWith('http:') ? spec.slice('http:'.length) : spec;
  if (!path.startsWith('/')) {
    throw new ShipshapeError(`probe "${spec}" is not http:PATH`, {
      hint: 'write e.g. --probe http:/healthz',
    });
  }
  return path;
}

/** Whether 127.0.0.1:`port` accepts a TCP connection (and the container behind it keeps it open). */
export function tcpAccepts(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    // Docker's userland proxy accepts every connection to a published port and closes it when
    // nothing listens in the container: only a connection still open a moment later is a listener.
    socket.once('connect', () => {
      socket.once('close', () => done(false));
      setTimeout(() => done(true), 200);
    });
  });
}

/** One GET; resolves with the status and up to 2 KiB of body, never rejects. */
export function httpGet(
  port: number,
  path: string,
  timeoutMs = 5000,
): Promise<{ status?: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 2048) chunks.push(c);
        size += c.length;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8').slice(0, 2048) }),
      );
      res.on('error', (e) => resolve({ body: '', error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ body: '', error: e.message }));
    req.end();
  });
}

/**
 * Probe until it passes or `deadline` (epoch ms) passes; `alive` is asked between attempts so a
 * crashed container fails fast instead of waiting out the deadline.
 */
export async function probeUntil(
  hostPort: number,
  containerPort: number,
  path: string,
  deadline: number,
  alive: () => Promise<boolean>,
): Promise<ProbeResult> {
  const name = `GET ${path} on port ${containerPort}`;
  let last = 'no attempt';
  for (;;) {
    const r = await httpGet(hostPort, path);
    if (r.status !== undefined) {
      last = `HTTP ${r.status}\n${r.body}`;
      if (r.status >= 200 && r.status < 400) return { name, ok: true, detail: last };
    } else last = r.error ?? 'no answer';
    if (Date.now() > deadline)
      return { name, ok: false, detail: `${last}\n(gave up after the startup timeout)` };
    if (!(await alive())) return { name, ok: false, detail: `${last}\n(the container exited)` };
    await new Promise((r2) => setTimeout(r2, 250));
  }
}

/** Run the user's test command on the host through `sh -c`, with the target's address in env. */
export function runTestCommand(
  command: string,
  target: { host: string; port?: number },
  options: { cwd: string; timeoutMs: number },
): Promise<ProbeResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, SHIPSHAPE_TARGET_HOST: target.host };
  if (target.port !== undefined) {
    env.SHIPSHAPE_TARGET_PORT = String(target.port);
    env.SHIPSHAPE_TARGET_URL = `http://${target.host}:${target.port}`;
  }
  return new Promise((resolve) => {
    // Own process group, so Ctrl-C cleanup can end the test and everything it started.
    const child = spawn('sh', ['-c', command], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const unregister = onCleanup(`test command ${command}`, killGroup);
    let output = '';
    const append = (c: Buffer) => {
      if (output.length < 64 * 1024) output += c.toString('utf8');
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = setTimeout(() => {
      output += `\n(killed after ${options.timeoutMs} ms)`;
      killGroup();
    }, options.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      unregister();
      resolve({ name: `test: ${command}`, ok: false, detail: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      unregister();
      resolve({
        name: `test: ${command}`,
        ok: code === 0,
        detail: `${signal ? `killed by ${signal}` : `exit code ${code}`}\n${output}`,
      });
    });
  });
}
