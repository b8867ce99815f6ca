/**
 * Cloud parity, executed: `shipshape up --fargate` (through the shipped CLI) runs the synthesized
 * task definitions on the real engine under Fargate's rules, and the apps answer. Each app is
 * copied to a temporary directory under a per-run name with ephemeral host ports, and `down -v`
 * must leave nothing carrying its label.
 *
 * What this proves and what it cannot (docs/fargate.md): the task definitions' users,
 * capabilities, read-only roots, task volumes (empty, root-owned), init containers, container
 * dependencies, secrets as files and jobs run to completion work as written; IAM, the real
 * network (ENIs, security groups, Service Connect's proxy), the load balancers and the managed
 * services are stand-ins.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { initScript } from '../../src/runtime/init-script.js';
import { INIT_IMAGE } from '../../src/runtime/task.js';
import { shipshape } from '../support/cli.js';
import { docker, get, leftovers } from '../support/local-apps.js';
import { LABELS } from '../../src/engine/client.js';

const root = resolve(import.meta.dirname, '../..');
const run = `fg${process.pid.toString(36)}${Date.now().toString(36)}`;
const dirs: string[] = [];
const apps: { dir: string; name: string }[] = [];

/** A copy of `source` named `<name>-<run>`, its published ports made ephemeral (the engine is shared). */
function project(source: string, name: string, ports: Record<string, string>): { dir: string; name: string } {
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-fargate-it-'));
  dirs.push(dir);
  cpSync(source, dir, { recursive: true });
  const app = `${name}-${run}`;
  const services = Object.entries(ports)
    .map(([service, target]) => `  ${service}:\n    ports: !override ['127.0.0.1::${target}']\n`)
    .join('');
  // The examples name themselves in x-shipshape (which wins over compose's `name`).
  writeFileSync(
    join(dir, 'compose.test.yaml'),
    `name: ${app}\nx-shipshape:\n  name: ${app}\nservices:\n${services}`,
  );
  apps.push({ dir, name: app });
  return { dir, name: app };
}

const cli = (p: { dir: string }, args: string[]) =>
  shipshape(['-f', 'compose.yaml', '-f', 'compose.test.yaml', ...args], { cwd: p.dir });

/** The host address the gateway publishes `port` of `service` on. */
async function published(app: string, service: string, port: number): Promise<string> {
  const info = await docker.getContainer(`${app}-${service}-lb`).inspect();
  const binding = info.NetworkSettings.Ports[`${port}/tcp`]?.[0];
  expect(binding, `${service} publishes ${port}`).toBeDefined();
  return `http://127.0.0.1:${binding!.HostPort}`;
}

afterEach(async () => {
  for (const a of apps.splice(0)) {
    cli(a, ['down', '-v']);
    expect(await leftovers(a.name), `${a.name} left objects behind`).toBe(0);
    // The images `up` built for the run (labelled with the app), so runs do not pile up.
    const filters = JSON.stringify({ label: [`${LABELS.app}=${a.name}`] });
    for (const image of await docker.listImages({ filters }))
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => undefined);
  }
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('up --fargate runs the synthesized task definitions', () => {
  it('web-api: the web answers on its published port with the private API reply', async () => {
    const p = project(join(root, 'examples/web-api'), 'web-api', { web: '8080' });
    const up = cli(p, ['up', '-d', '--fargate']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/synthesizing the task definitions/);
    const page = await (await fetch(await published(p.name, 'web', 8080))).text();
    expect(page).toMatch(/API says: hello from the private API/);
    // The app container is the task definition's: every capability dropped, a read-only root,
    // /tmp a task volume (no tmpfs), the low-port rule in its network namespace.
    const api = await docker.getContainer(`${p.name}-api-1`).inspect();
    expect(api.HostConfig.CapDrop).toEqual(['ALL']);
    expect(api.HostConfig.ReadonlyRootfs).toBe(true);
    expect(api.HostConfig.Tmpfs ?? {}).toEqual({});
    expect((api.HostConfig as { Sysctls?: Record<string, string> }).Sysctls).toEqual({
      'net.ipv4.ip_unprivileged_port_start': '1024',
    });
    expect(api.Mounts.map((m) => m.Destination)).toEqual(['/tmp']);
    const ps = cli(p, ['ps', '--json']);
    expect((JSON.parse(ps.stdout) as { service: string }[]).map((r) => r.service).sort()).toEqual([
      'api',
      'api',
      'web',
      'web',
    ]);
  });

  it('a secret file read by uid 1000, temp files under a read-only root, a migration job the web waits for', async () => {
    const p = project(join(root, 'test/fixtures/local/parity'), 'parity', { web: '8080' });
    const up = cli(p, ['up', '-d', '--fargate']);
    expect(up.code, up.stderr).toBe(0);
    // The job ran first, to completion, and is not restarted.
    expect(up.stderr.indexOf('migrate: completed')).toBeLessThan(up.stderr.indexOf('web: started'));
    const migrate = await docker.getContainer(`${p.name}-migrate-1`).inspect();
    expect(migrate.State).toMatchObject({ Status: 'exited', ExitCode: 0 });
    const res = await fetch(await published(p.name, 'web', 8080));
    expect(await res.json()).toEqual({ secret: 'read', temp: 'written', schema: 'v2', uid: 1000 });
    expect(res.status).toBe(200);
    // The init container wrote the secret for the app's uid only; the app's /tmp is a task volume.
    const ls = execFileSync(
      'docker',
      ['exec', `${p.name}-web-1`, 'stat', '-c', '%a %u:%g', '/run/secrets/api-key', '/tmp'],
      {
        encoding: 'utf8',
      },
    );
    expect(ls.trim().split('\n')).toEqual(['400 1000:1000', '1777 0:0']);
  });

  it('notes: managed datastores are their local stand-ins at the endpoints the task definition names', async () => {
    const p = project(join(root, 'test/fixtures/local/notes'), 'notes', { app: '8080' });
    const up = cli(p, ['up', '-d', '--fargate']);
    expect(up.code, up.stderr).toBe(0);
    const base = await published(p.name, 'app', 8080);
    expect(await (await fetch(`${base}/note?text=parity`, { method: 'PUT' })).json()).toEqual({
      stored: 'parity',
    });
    expect(await (await fetch(`${base}/note`)).json()).toEqual({ db: 'parity', cache: 'parity' });
    const env = execFileSync('docker', ['exec', `${p.name}-app-1`, 'env'], { encoding: 'utf8' });
    // The cloud's variables (RDS endpoint, generated password as a secret), with local values.
    expect(env).toMatch(/^MYSQL_HOST=db$/m);
    expect(env).toMatch(/^MYSQL_PASSWORD=local-notes-password$/m);
  });

  it('hello-lb: two tasks behind the gateway answer in turn', async () => {
    const p = project(join(root, 'examples/hello-lb'), 'hello-lb', { hello: '8080' });
    const up = cli(p, ['up', '-d', '--fargate']);
    expect(up.code, up.stderr).toBe(0);
    const port = Number(new URL(await published(p.name, 'hello', 8080)).port);
    const agent = new http.Agent({ keepAlive: true });
    const answers = new Set<string>();
    // Both tasks answer; bounded in count and time (a replica that passed its health check a
    // moment ago may join the gateway's rotation a request or two later under CI load).
    const until = Date.now() + 10_000;
    for (let i = 0; i < 40 && answers.size < 2 && Date.now() < until; i++) {
      answers.add((await get(port, agent)).body.trim());
      if (i >= 6) await new Promise((r) => setTimeout(r, 200));
    }
    agent.destroy();
    expect([...answers].sort()).toEqual([
      "Hello world — I'm container ONE",
      "Hello world — I'm container TWO",
    ]);
  });
});

describe("Fargate's rules, on the engine", () => {
  const runInit = (script: string, volume: string) =>
    execFileSync(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'none',
        '--user',
        '0',
        '--read-only',
        // Fargate's task: the capabilities the init container keeps (all dropped but CHOWN).
        '--cap-drop',
        'ALL',
        '--cap-add',
        'CHOWN',
        '--mount',
        `type=volume,source=${volume},target=/run/secrets,volume-nocopy`,
        '-e',
        'SHIPSHAPE_SECRET_0=s3cret',
        INIT_IMAGE,
        'sh',
        '-c',
        script,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
  const volumes: string[] = [];
  afterAll(async () => {
    for (const v of volumes)
      await docker
        .getVolume(v)
        .remove()
        .catch(() => undefined);
  });

  it('the secrets writer works for any uid and nested targets; chown before chmod (the old order) cannot', () => {
    const volume = `${run}-secrets`;
    volumes.push(volume);
    // The script the cloud ran before: chown first, then chmod as a root that no longer owns the file.
    expect(() =>
      runInit(
        `set -eu; printf '%s' "$SHIPSHAPE_SECRET_0" > /run/secrets/key; chown 1000:1000 /run/secrets/key && chmod 0400 /run/secrets/key`,
        `${volume}-old`,
      ),
    ).toThrow(/Operation not permitted/);
    volumes.push(`${volume}-old`);
    const owner = { uid: 1000, gid: 1000 };
    const secret = { secret: 'db', variable: 'SHIPSHAPE_SECRET_0', target: '/run/secrets/app/db/password' };
    runInit(initScript([secret], [], owner), volume);
    const read = execFileSync(
      'docker',
      [
        'run',
        '--rm',
        '--network',
        'none',
        '--user',
        '1000:1000',
        '--mount',
        `type=volume,source=${volume},target=/run/secrets,readonly`,
        INIT_IMAGE,
        'cat',
        '/run/secrets/app/db/password',
      ],
      { encoding: 'utf8' },
    );
    expect(read).toBe('s3cret');
  });

  it('`up` refuses what Fargate refuses: a non-root process on port 80 fails to bind, and says which rule', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shipshape-lowport-it-'));
    dirs.push(dir);
    const name = `lowport-${run}`;
    writeFileSync(
      join(dir, 'compose.yaml'),
      `name: ${name}
services:
  web:
    image: node:20-bookworm-slim
    user: '1000'
    expose: ['80']
    command: ['node', '-e', "require('http').createServer((q, s) => s.end('ok')).listen(80, () => console.log('listening'))"]
    healthcheck: { test: ['CMD', 'node', '-e', 'process.exit(0)'], interval: 1s, retries: 3 }
`,
    );
    apps.push({ dir, name });
    writeFileSync(join(dir, 'compose.test.yaml'), `name: ${name}\n`);
    const config = shipshape(['config'], { cwd: dir });
    expect(config.stdout).toMatch(/on Fargate a non-root process cannot bind a port below 1024/);
    const up = shipshape(['up', '-d', '--timeout', '20'], { cwd: dir });
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/EACCES/);
    expect(up.stderr).toMatch(/Fargate rule: a process without CAP_NET_BIND_SERVICE/);
  });
});
