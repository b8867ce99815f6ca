import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import {
  docker,
  examples,
  exec,
  get,
  leftovers,
  publishedPort,
  useLocalApps,
} from '../support/local-apps.js';
import { LABELS } from '../../src/engine/client.js';
import { loadApp } from '../../src/model/load.js';
import { ShipshapeError } from '../../src/model/errors.js';
import { ps } from '../../src/local/ops.js';
import { up } from '../../src/local/up.js';

const { example, run, track } = useLocalApps('t');

async function ipsOf(container: string): Promise<string[]> {
  const info = await docker.getContainer(container).inspect();
  return Object.values(info.NetworkSettings.Networks).map((n) => n.IPAddress);
}

describe('shipshape up on the real engine', () => {
  it('hello-lb: the load balancer alternates replicas and drops a killed one within 2 s, without failures', async () => {
    const app = example(path.join(examples, 'hello-lb'), 'lb');
    const result = await up(app);
    expect(result.created).toHaveLength(3);
    const port = await publishedPort(app, 'hello');
    const agent = new http.Agent({ keepAlive: true }); // like a browser: one reused connection
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) seen.push((await get(port, agent)).body);
    expect(seen.filter((b) => b.includes('container ONE')).length).toBeGreaterThanOrEqual(4);
    expect(seen.filter((b) => b.includes('container TWO')).length).toBeGreaterThanOrEqual(4);

    await docker.getContainer(`${app.name}-hello-2`).kill();
    const killedAt = Date.now();
    const after: { at: number; ok: boolean; body: string }[] = [];
    while (Date.now() - killedAt < 4000) {
      const at = Date.now() - killedAt;
      const r = await get(port, agent).catch((e: Error) => ({ status: 0, body: e.message }));
      after.push({ at, ok: r.status === 200, body: r.body });
    }
    const settled = after.filter((r) => r.at >= 2000);
    expect(settled.length).toBeGreaterThan(10);
    expect(settled.every((r) => r.ok && r.body.includes('container ONE'))).toBe(true);
    agent.destroy();

    // Re-running up reconciles: the killed replica is started again, nothing is recreated.
    const again = await up(app);
    expect(again.created).toEqual([]);
    expect(again.unchanged).toHaveLength(3);
    const rows = await ps(app);
    expect(rows.map((r) => [r.replica, r.state])).toEqual([
      ['lb', 'running'],
      ['1', 'running'],
      ['2', 'running'],
    ]);
  });

  it('web-api: isolation follows the traffic graph, and the hardened defaults show in docker inspect', async () => {
    const app = example(path.join(examples, 'web-api'), 'wa');
    await up(app);
    const port = await publishedPort(app, 'web');

    // The host reaches the web through its load balancer (and the page includes the API's answer).
    const page = await get(port, new http.Agent());
    expect(page.status).toBe(200);
    expect(page.body).toContain('hello from the private API');

    // The host cannot reach the API: nothing published, and no route to its container address.
    const rows = await ps(app);
    expect(rows.filter((r) => r.service === 'api').every((r) => r.ports.length === 0)).toBe(true);
    for (const ip of [...(await ipsOf(`${app.name}-api-1`)), ...(await ipsOf(`${app.name}-api-lb`))]) {
      const r = await new Promise<{ server?: string } | Error>((resolve) => {
        const req = http.get({ host: ip, port: 5000, path: '/healthz', timeout: 1500 }, (res) => {
          res.resume();
          resolve({ server: String(res.headers.server ?? '') });
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (e) => resolve(e));
      });
      if (!(r instanceof Error)) expect(r.server ?? '').not.toMatch(/web-api-api/);
    }

    // The web reaches the API by its compose name.
    const fromWeb = await exec(`${app.name}-web-1`, [
      'node',
      '-e',
      "require('http').get('http://api:5000/healthz', r => { console.log('status', r.statusCode); r.resume() }).on('error', e => console.log('error', e.message))",
    ]);
    expect(fromWeb.out).toContain('status 200');

    // The API cannot open a connection to the web: not by name, not by any of its addresses.
    const targets = [
      'web',
      `${app.name}-web-1`,
      ...(await ipsOf(`${app.name}-web-1`)),
      ...(await ipsOf(`${app.name}-web-lb`)),
    ];
    const probe = await exec(`${app.name}-api-1`, [
      'python3',
      '-c',
      `import socket
for t in ${JSON.stringify(targets)}:
    try:
        socket.create_connection((t, 8080), timeout=1.5).close(); print('CONNECTED', t)
    except Exception as e:
        print('refused', t, type(e).__name__)`,
    ]);
    expect(probe.out).not.toContain('CONNECTED');
    expect(probe.out.match(/refused/g)).toHaveLength(targets.length);

    // Hardened defaults, visible in docker inspect.
    for (const name of [`${app.name}-web-1`, `${app.name}-api-1`, `${app.name}-web-lb`]) {
      const hc = (await docker.getContainer(name).inspect()).HostConfig as Docker.HostConfig & {
        ReadonlyRootfs?: boolean;
        Tmpfs?: Record<string, string>;
      };
      expect(hc.CapDrop).toEqual(['ALL']);
      expect(hc.CapAdd ?? []).toEqual([]);
      expect(hc.SecurityOpt).toContain('no-new-privileges:true');
      expect(hc.ReadonlyRootfs).toBe(true);
      expect(hc.PidsLimit).toBeGreaterThan(0);
      expect(hc.Memory).toBeGreaterThan(0);
      if (!name.endsWith('-lb')) {
        expect(hc.Tmpfs?.['/tmp']).toContain('noexec');
        expect(hc.PidsLimit).toBe(256);
        expect(hc.Memory).toBe(512 * 1024 * 1024);
        expect(hc.PortBindings ?? {}).toEqual({});
      }
    }
    const env = (await docker.getContainer(`${app.name}-web-1`).inspect()).Config.Env;
    expect(env).toContain('SHIPSHAPE_REPLICA=1');
  });

  it('honours depends_on conditions, warns about root images, and names the failing service with its logs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-up-'));
    try {
      const name = `deps-${run}`;
      writeFileSync(
        path.join(dir, 'compose.yaml'),
        `name: ${name}
services:
  migrate:
    image: debian:bookworm-slim
    command: ["sh", "-c", "echo migrated"]
  app:
    image: debian:bookworm-slim
    command: ["sleep", "300"]
    user: "1000"
    stop_signal: SIGKILL
    read_only: false
    cap_add: [NET_BIND_SERVICE]
    volumes: ["data:/data"]
    depends_on:
      migrate: {condition: service_completed_successfully}
  broken:
    image: debian:bookworm-slim
    command: ["sh", "-c", "echo something went wrong >&2; exit 3"]
    depends_on: [app]
volumes:
  data: {}
`,
      );
      const app = loadApp([], { cwd: dir, env: {} });
      track(app.name);
      const ok = await up(app, { services: ['app'] });
      expect(ok.plan.order).toEqual(['migrate', 'app']);
      expect(ok.warnings.some((w) => w.includes('"migrate" runs as root'))).toBe(true);
      expect(ok.warnings.some((w) => w.includes('"app"'))).toBe(false);
      const migrate = await docker.getContainer(`${name}-migrate-1`).inspect();
      expect(migrate.State.Status).toBe('exited');
      const appInfo = await docker.getContainer(`${name}-app-1`).inspect();
      expect(appInfo.State.Running).toBe(true);
      expect(appInfo.HostConfig.ReadonlyRootfs).toBe(false); // loosened explicitly by read_only: false
      expect(appInfo.HostConfig.CapAdd).toEqual(['NET_BIND_SERVICE']);
      expect(appInfo.Mounts.find((m) => m.Destination === '/data')?.Name).toBe(`${name}_data`);
      const volume = await docker.getVolume(`${name}_data`).inspect();
      expect(volume.Labels).toMatchObject({ [LABELS.app]: name, [LABELS.role]: 'local' });

      const err = await up(app).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShipshapeError);
      expect((err as ShipshapeError).message).toMatch(/service "broken" \(replica 1\) exited with code 3/);
      expect((err as ShipshapeError).message).toContain('something went wrong');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the CLI: up -d, ps, logs, down; Ctrl-C during up removes what that run created', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-cli-'));
    const name = `cli-${run}`;
    track(name);
    const cli = (args: string[], onStderr?: (text: string, kill: () => void) => void) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href,
            path.resolve(import.meta.dirname, '../../src/cli/main.ts'),
            ...args,
          ],
          {
            cwd: dir,
            env: { ...process.env, NO_COLOR: '1' },
          },
        );
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          onStderr?.(err, () => child.kill('SIGINT'));
        });
        child.on('exit', (code) => resolve({ code, out, err }));
      });
    try {
      writeFileSync(
        path.join(dir, 'compose.yaml'),
        `name: ${name}
services:
  ok:
    image: debian:bookworm-slim
    user: "1000"
    command: ["sh", "-c", "echo ready-to-serve; exec sleep 300"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "true"], interval: 1s}
`,
      );
      const upped = await cli(['up', '-d']);
      expect(upped.code).toBe(0);
      const rows = JSON.parse((await cli(['ps', '--json'])).out) as {
        service: string;
        state: string;
        health: string;
      }[];
      expect(rows).toMatchObject([{ service: 'ok', replica: '1', state: 'running', health: 'healthy' }]);
      expect((await cli(['logs'])).out).toMatch(/^ok-1\s+\| ready-to-serve$/m);
      const downed = await cli(['down']);
      expect(downed.code).toBe(0);
      expect(await leftovers(name)).toBe(0);

      // A service that never becomes healthy; interrupt while `up` waits for it.
      writeFileSync(
        path.join(dir, 'compose.yaml'),
        `name: ${name}
services:
  slow:
    image: debian:bookworm-slim
    user: "1000"
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "false"], interval: 30s}
`,
      );
      let sent = false;
      const interrupted = await cli(['up', '-d'], (err, kill) => {
        if (!sent && err.includes('slow: started')) {
          sent = true;
          kill();
        }
      });
      expect(sent).toBe(true);
      expect(interrupted.code).toBe(130);
      expect(await leftovers(name)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a taken host port fails with a ShipshapeError that names the port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-port-'));
    try {
      writeFileSync(
        path.join(dir, 'compose.yaml'),
        `name: port-${run}\nservices:\n  web:\n    image: debian:bookworm-slim\n    user: "1000"\n    command: ["sleep", "300"]\n    stop_signal: SIGKILL\n    ports: ["${port}:8080"]\n`,
      );
      const app = loadApp([], { cwd: dir, env: {} });
      track(app.name);
      const err = await up(app).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ShipshapeError);
      expect((err as ShipshapeError).hint).toContain(`host port ${port} is taken`);
    } finally {
      blocker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
