import http from 'node:http';
import path from 'node:path';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { ps } from '../../src/local/ps.js';
import { up } from '../../src/local/up.js';
import { docker, edited, examples, exec, get, hostRouteTo, useLocalApps } from '../support/local-apps.js';

// `shipshape up --lb nginx` on the real engine, with the nginx:stable-bookworm image
// (scripts/dev-env.sh provides an offline stand-in built from Debian's nginx-light).
const { example } = useLocalApps('n');

describe('shipshape up --lb nginx on the real engine', () => {
  it('hello-lb: nginx alternates replicas, drops a killed one within 2 s, runs hardened, and the host has no route to the replicas', async () => {
    const app = example(path.join(examples, 'hello-lb'), 'ngx');
    const result = await up(app, { lbMode: 'nginx' });
    expect(result.created).toHaveLength(3);
    const lb = `${app.name}-hello-lb`;
    const row = (await ps(app)).find((r) => r.replica === 'lb')!;
    expect(row.ports[0]).toMatch(/^127\.0\.0\.1:\d+->8080/);
    const port = Number(/:(\d+)->/.exec(row.ports[0]!)![1]);

    // The gateway is nginx, unprivileged and hardened like the Node gateway.
    const info = await docker.getContainer(lb).inspect();
    expect(info.Config.Image).toBe('nginx:stable-bookworm');
    expect(info.Config.User).toBe('101:101');
    const hc = info.HostConfig as Docker.HostConfig & {
      ReadonlyRootfs?: boolean;
      Tmpfs?: Record<string, string>;
    };
    expect(hc.CapDrop).toEqual(['ALL']);
    expect(hc.CapAdd ?? []).toEqual([]);
    expect(hc.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(hc.ReadonlyRootfs).toBe(true);
    expect(Object.keys(hc.Tmpfs ?? {})).toEqual(['/tmp']);
    expect(hc.Binds ?? []).toEqual([]);
    expect(info.Mounts.filter((m) => m.Type === 'bind')).toEqual([]);
    const master = await exec(lb, [
      'sh',
      '-c',
      'grep ^Uid /proc/1/status; cat /proc/1/cmdline | tr "\\0" " "',
    ]);
    expect(master.out).toMatch(/^Uid:\s+101\s+101\s+101\s+101/m);
    expect(master.out).toContain('nginx: master process');
    const rootWrite = await exec(lb, ['sh', '-c', 'echo x > /etc/x']);
    expect(rootWrite.code).not.toBe(0);

    const agent = new http.Agent({ keepAlive: true }); // like a browser: one reused connection
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) seen.push((await get(port, agent)).body);
    expect(seen.filter((b) => b.includes('container ONE')).length).toBeGreaterThanOrEqual(4);
    expect(seen.filter((b) => b.includes('container TWO')).length).toBeGreaterThanOrEqual(4);

    // The host has no route to a replica's own address: the replicas sit on internal networks,
    // which give the host no address, so the only way there would be the default route.
    for (const r of [1, 2]) {
      const nets = (await docker.getContainer(`${app.name}-hello-${r}`).inspect()).NetworkSettings.Networks;
      for (const ip of Object.values(nets).map((n) => n.IPAddress)) {
        const route = hostRouteTo(ip);
        expect(route.dev, `host route to replica ${r} at ${ip}: ${route.text}`).not.toMatch(
          /^(br-|docker|veth)/,
        );
      }
    }

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
    expect(settled.filter((r) => !(r.ok && r.body.includes('container ONE')))).toEqual([]);
    agent.destroy();

    // Re-running up starts the killed replica again; nginx takes it back after fail_timeout.
    const again = await up(app, { lbMode: 'nginx' });
    expect(again.created).toEqual([]);
    const back = new http.Agent({ keepAlive: true });
    const deadline = Date.now() + 10_000;
    let sawTwo = false;
    while (!sawTwo && Date.now() < deadline) sawTwo = (await get(port, back)).body.includes('container TWO');
    back.destroy();
    expect(sawTwo).toBe(true);
  });
  it('web-api: nginx fronts the public web, the internal API call stays on the Node gateway, and recreated replicas are picked up', async () => {
    const app = example(path.join(examples, 'web-api'), 'ngxwa');
    const progress: string[] = [];
    await up(app, { lbMode: 'nginx', onProgress: (m) => progress.push(m) });
    expect((await docker.getContainer(`${app.name}-web-lb`).inspect()).Config.Image).toBe(
      'nginx:stable-bookworm',
    );
    expect((await docker.getContainer(`${app.name}-api-lb`).inspect()).Config.Cmd?.[0]).toBe('node');
    expect(progress.some((m) => m.startsWith('api: its gateway also carries internal calls'))).toBe(true);
    const row = (await ps(app)).find((r) => r.service === 'web' && r.replica === 'lb')!;
    const port = Number(/:(\d+)->/.exec(row.ports[0]!)![1]);
    const page = await get(port, new http.Agent());
    expect(page.status).toBe(200);
    expect(page.body).toContain('hello from the private API');

    // A changed web service recreates its replica (new address) but keeps the nginx gateway,
    // which `up` reloads so it resolves the replica again.
    const changed = edited(app, (a) => {
      a.services.find((s) => s.name === 'web')!.environment.SHIPSHAPE_TEST_REV = '2';
    });
    const again = await up(changed, { lbMode: 'nginx', onProgress: (m) => progress.push(m) });
    expect(again.created).toEqual([`${app.name}-web-1`]);
    expect(again.unchanged).toContain(`${app.name}-web-lb`);
    expect(progress).toContain('web: reloaded the nginx gateway for the new replicas');
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (await get(port, new http.Agent()).catch(() => ({ status: 0 }))).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
  });
});
