import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * moto in server mode (PyPI moto[server] in /opt/shipshape-venv), started on a free loopback
 * port for one test file and killed afterwards. See shared notes on what moto does and does not do:
 * tests assert only what it really does (first creates read back through the service APIs).
 */
export interface Moto {
  port: number;
  /** `http://localhost:PORT`: moto parses the toolkit's S3 URLs path-style only for "localhost". */
  endpoint: string;
  /** Environment for a shipshape (or SDK) process talking to this moto. */
  env: Record<string, string>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

const MOTO = process.env.MOTO_SERVER ?? '/opt/shipshape-venv/bin/moto_server';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Start moto; `serverEnv` sets moto's own knobs (e.g. MOTO_ECS_SERVICE_RUNNING). */
export async function startMoto(serverEnv: Record<string, string> = {}): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn(MOTO, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...serverEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${stderr}`);
    try {
      if ((await fetch(`${base}/moto-api/`, { signal: AbortSignal.timeout(1000) })).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${base} within 30 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const endpoint = `http://localhost:${port}`;
  return {
    port,
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      // Never let the SDK look for instance credentials (169.254.169.254) in tests.
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    async reset() {
      await fetch(`${base}/moto-api/reset`, { method: 'POST' });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
