import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import {
  connectScript,
  docker,
  examples,
  exec,
  get,
  hostRouteTo,
  leftovers,
  probeFrom,
  publishedPort,
  useLocalApps,
} from '../support/local-apps.js';
import { LABELS } from '../../src/engine/client.js';
import { spawnShipshape } from '../support/cli.js';
import { loadApp } from '../../src/model/load.js';
import { ShipshapeError } from '../../src/model/errors.js';
import { ps } from '../../src/local/ps.js';
import { up } from '../../src/local/up.js';

const { example, run, track } = useLocalApps('t');

/** Start the shipped CLI in `dir`. */
function shipshape(
  dir: string,
  args: string[],
): { child: ChildProcess; done: Promise<{ code: number | null; out: string; err: string }> } {
  const child = spawnShipshape(args, { cwd: dir });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return { child, done: new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err }))) };
}

/** Engine events of app `name` (containers by label, networks by name), until `stop()`. */
async function watchEvents(name: string, onEvent: (kind: string) => void): Promise<{ stop: () => void }> {
  const stream = (await docker.getEvents({
    filters: JSON.stringify({ type: ['container', 'network'] }),
  })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  let pending = '';
  stream.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines.filter(Boolean)) {
      const e = JSON.parse(line) as {
        Type: string;
        Action: string;
        Actor: { Attributes: Record<string, string> };
      };
      const attrs = e.Actor.Attributes;
      const ours = e.Type === 'network' ? attrs.name?.startsWith(`${name}_`) : attrs[LABELS.app] === name;
      if (ours) onEvent(`${e.Type} ${e.Action}`);
    }
  });
  stream.on('error', () => undefined);
  return { stop: () => stream.destroy() };
}

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

    // The API publishes nothing, and the host has no route to any of its addresses: the internal
    // networks give the host no address, so the only way there would be the default route.
    const rows = await ps(app);
    expect(rows.filter((r) => r.service === 'api').every((r) => r.ports.length === 0)).toBe(true);
    for (const ip of [...(await ipsOf(`${app.name}-api-1`)), ...(await ipsOf(`${app.name}-api-lb`))]) {
      const route = hostRouteTo(ip);
      expect(route.dev, route.text).not.toMatch(/^(br-|docker|veth)/);
    }

    // On the web's call network, a caller reaches the API's gateway by name, and nothing else:
    // not the replicas (by name or by their backend address, which that network has no route to).
    const apiBackendIps = Object.values(
      (await docker.getContainer(`${app.name}-api-1`).inspect()).NetworkSettings.Networks,
    ).map((n) => n.IPAddress);
    const onCall = await probeFrom(
      app.name,
      [`${app.name}_web-to-api`],
      connectScript([
        'api:5000',
        'api-1:5000',
        `${app.name}-api-1:5000`,
        ...apiBackendIps.map((ip) => `${ip}:5000`),
      ]),
    );
    expect(onCall).toContain('CONNECTED api:5000');
    expect(onCall.match(/^FAILED /gm)).toHaveLength(2 + apiBackendIps.length);

    // The public edge network holds the web's gateway and nothing else. (Not probed by name from
    // inside: the engine's DNS forwards unknown names off the machine on a non-internal network.)
    const edge = await docker.getNetwork(`${app.name}_web-edge`).inspect();
    expect(Object.values(edge.Containers ?? {}).map((c) => (c as { Name: string }).Name)).toEqual([
      `${app.name}-web-lb`,
    ]);

    // The web reaches the API by its compose name.
    const fromWeb = await exec(`${app.name}-web-1`, [
      'node',
      '-e',
      "require('http').get('http://api:5000/healthz', r => { console.log('status', r.statusCode); r.resume() }).on('error', e => console.log('error', e.message))",
    ]);
    expect(fromWeb.out).toContain('status 200');

    // The API cannot open a connection to the web: not by name, not by any of its addresses
    // (the API sits only on internal networks, so it has no route to other subnets at all).
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
      cache: {condition: service_healthy}
      plain: {condition: service_healthy}
  cache:
    image: debian:bookworm-slim
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 300"]
    user: "1000"
    stop_signal: SIGKILL
    # Passes only once the file exists, and only as the service's user. The engine's own first
    # check comes after 300 s: \`up\` runs this check itself.
    healthcheck:
      test: ["CMD-SHELL", "test -f /tmp/ready && test $$(id -u) = 1000"]
      interval: 300s
      timeout: 5s
  plain:
    image: debian:bookworm-slim
    command: ["sleep", "300"]
    user: "1000"
    stop_signal: SIGKILL
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
      expect(ok.plan.order).toEqual(['migrate', 'cache', 'plain', 'app']);
      // service_healthy: app started only once cache's own healthcheck passed (2 s after its
      // start), though the engine has not run it yet; plain has no healthcheck: running is enough.
      const cache = await docker.getContainer(`${name}-cache-1`).inspect();
      expect(cache.State.Health?.Status).toBe('starting');
      const appStarted = Date.parse((await docker.getContainer(`${name}-app-1`).inspect()).State.StartedAt);
      expect(appStarted).toBeGreaterThanOrEqual(Date.parse(cache.State.StartedAt) + 2000);
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

  it('the CLI: up -d, ps, logs, down', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-cli-'));
    const name = `cli-${run}`;
    track(name);
    const cli = (args: string[]) => shipshape(dir, args).done;
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
      // `up` returned once its own run of the healthcheck passed; the engine's status follows at
      // its first interval (1 s here).
      type Row = { service: string; state: string; health: string };
      let rows: Row[] = [];
      for (let i = 0; i < 10 && rows[0]?.health !== 'healthy'; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, 1000));
        rows = JSON.parse((await cli(['ps', '--json'])).out) as Row[];
      }
      expect(rows).toMatchObject([{ service: 'ok', replica: '1', state: 'running', health: 'healthy' }]);
      expect((await cli(['logs'])).out).toMatch(/^ok-1\s+\| ready-to-serve$/m);
      const downed = await cli(['down']);
      expect(downed.code).toBe(0);
      expect(await leftovers(name)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Ctrl-C at any point of the start sequence leaves nothing of the run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-int-'));
    const name = `int-${run}`;
    track(name);
    // db never becomes healthy, so every interrupt lands while `up` is still starting.
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      `name: ${name}
services:
  db:
    image: debian:bookworm-slim
    user: "1000"
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    expose: ["5432"]
    volumes: ["data:/data"]
    healthcheck: {test: ["CMD", "false"], interval: 30s}
  web:
    image: debian:bookworm-slim
    user: "1000"
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    ports: ["8080"]
    depends_on: {db: {condition: service_healthy}}
volumes:
  data: {}
`,
    );
    // Interrupt right after the engine made the n-th object of a kind (more are in flight then),
    // or a moment later.
    const points = [
      { after: 'network create', n: 1, delayMs: 0 },
      { after: 'container create', n: 1, delayMs: 0 },
      { after: 'container create', n: 3, delayMs: 0 },
      { after: 'container start', n: 1, delayMs: 0 },
      { after: 'container start', n: 2, delayMs: 700 },
    ];
    try {
      for (const point of points) {
        expect(await leftovers(name)).toBe(0);
        // The CLI takes a second to load before it talks to the engine: watching starts in time.
        const { child, done } = shipshape(dir, ['up']);
        let seen = 0;
        let sent = false;
        const events = await watchEvents(name, (kind) => {
          if (kind !== point.after || ++seen !== point.n || sent) return;
          sent = true;
          setTimeout(() => child.kill('SIGINT'), point.delayMs);
        });
        const result = await done;
        events.stop();
        expect(sent, `${point.after} #${point.n} happened`).toBe(true);
        expect(result.code, `${point.after} #${point.n}: ${result.err}`).toBe(130);
        expect(await leftovers(name), `left behind after Ctrl-C at ${point.after} #${point.n}`).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a published UDP port reaches the replicas through the gateway, each client pinned to one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-udp-'));
    const echo = `const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => s.send(require('node:os').hostname() + ':' + m, r.port, r.address));
s.bind(7777);`;
    try {
      writeFileSync(
        path.join(dir, 'compose.yaml'),
        `name: udp-${run}
services:
  echo:
    image: node:20-bookworm-slim
    user: "1000"
    command: ["node", "-e", ${JSON.stringify(echo)}]
    stop_signal: SIGKILL
    ports: ["127.0.0.1::7777/udp"]
    deploy: {replicas: 2}
`,
      );
      const app = loadApp([], { cwd: dir, env: {} });
      track(app.name);
      await up(app);
      const row = (await ps(app)).find((r) => r.replica === 'lb')!;
      expect(row.ports).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+->7777\/udp$/)]);
      const port = Number(/:(\d+)->/.exec(row.ports[0]!)![1]);
      /** One client: two datagrams, each answer awaited for at most 3 s. */
      const client = async (tag: string) => {
        const socket = dgram.createSocket('udp4');
        try {
          const answers: string[] = [];
          for (const n of [1, 2]) {
            const answer = once(socket, 'message', { signal: AbortSignal.timeout(3000) });
            socket.send(`${tag}${n}`, port, '127.0.0.1');
            answers.push(String((await answer)[0]));
          }
          return answers;
        } finally {
          socket.close();
        }
      };
      const [a, b] = [await client('a'), await client('b')];
      const replicaOf = (xs: string[]) => new Set(xs.map((x) => x.split(':')[0]));
      expect(replicaOf(a).size).toBe(1);
      expect(a.map((x) => x.split(':')[1])).toEqual(['a1', 'a2']);
      expect([...replicaOf(a), ...replicaOf(b)].sort()).toEqual(['echo-1', 'echo-2']);
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
