/**
 * Shared fixture for integration tests of `shipshape up`: examples loaded under per-run names on
 * ephemeral host ports, removed (and checked gone, by label) after each test.
 */
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import { LABELS, engine } from '../../src/engine/client.js';
import { loadApp } from '../../src/model/load.js';
import type { AppModel } from '../../src/model/types.js';
import { down } from '../../src/local/down.js';
import { ps } from '../../src/local/ps.js';
import { execInContainer } from '../../src/engine/exec.js';
import { demuxLogs } from '../../src/engine/logs.js';
import { gatewayImage } from '../../src/local/plan.js';

export const docker = engine();
export const examples = path.resolve(import.meta.dirname, '../../examples');

/** Containers, networks and volumes carrying the app's label, whatever made them. */
export async function leftovers(app: string): Promise<number> {
  const filters = JSON.stringify({ label: [`${LABELS.app}=${app}`] });
  const c = await docker.listContainers({ all: true, filters });
  const n = await docker.listNetworks({ filters });
  const v = (await docker.listVolumes({ filters })).Volumes ?? [];
  return c.length + n.length + v.length;
}

export interface LocalApps {
  /** Unique per test run, for names of apps made by the test itself. */
  run: string;
  /** Load an example under a per-run name, with no fixed host ports (the engine is shared) and quick healthchecks. */
  example(dir: string, suffix: string): AppModel;
  /** Have the hooks clean up (and check) an app the test made itself. */
  track(app: string): void;
}

/** Register the cleanup hooks for the apps a test file runs. */
export function useLocalApps(prefix: string): LocalApps {
  const run = `${prefix}${process.pid.toString(36)}${Date.now().toString(36)}`;
  const apps: string[] = [];
  afterEach(async () => {
    for (const app of apps) {
      await down(app, { volumes: true });
      expect(await leftovers(app)).toBe(0);
    }
  });
  afterAll(async () => {
    for (const app of apps) {
      const filters = JSON.stringify({ label: [`${LABELS.app}=${app}`] });
      for (const img of await docker.listImages({ filters })) {
        await docker
          .getImage(img.Id)
          .remove({ force: true })
          .catch(() => undefined);
      }
    }
  });
  return {
    run,
    track: (app) => void apps.push(app),
    example: (dir, suffix) => {
      const loaded = loadApp([], { cwd: dir, env: {} });
      const app = edited(loaded, (a) => {
        a.name = `${a.name}-${run}-${suffix}`;
        for (const s of a.services) {
          for (const p of s.ports) p.published = undefined;
          if (s.healthcheck) s.healthcheck.intervalMs = 1000;
        }
      });
      apps.push(app.name);
      return app;
    },
  };
}

/**
 * A changed copy of an app model. The model is deep-frozen (every command reads the same
 * decisions), so a test that needs another name or a changed setting edits a copy.
 */
export function edited(app: AppModel, edit: (copy: AppModel) => void): AppModel {
  const copy = structuredClone(app);
  edit(copy);
  return copy;
}

/** The host port a service's load balancer published on 127.0.0.1. */
export async function publishedPort(app: AppModel, service: string): Promise<number> {
  const row = (await ps(app)).find((r) => r.service === service && r.replica === 'lb')!;
  expect(row.ports[0]).toMatch(/^127\.0\.0\.1:\d+->/);
  return Number(/:(\d+)->/.exec(row.ports[0]!)![1]);
}

/** One HTTP GET with a 3 s timeout. */
export function get(
  port: number,
  agent: http.Agent,
  options: { host?: string; path?: string } = {},
): Promise<{ status: number; body: string; server?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: options.host ?? '127.0.0.1', port, path: options.path ?? '/', agent, timeout: 3000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, server: String(res.headers.server ?? '') }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Run a command in a container and return its exit code and output. */
export async function exec(container: string, cmd: string[]): Promise<{ code: number; out: string }> {
  const id = (await docker.getContainer(container).inspect()).Id;
  const r = await execInContainer(docker, id, cmd, { timeoutMs: 60_000 });
  return { code: r.exitCode ?? -1, out: r.output };
}

/** The host's route to `ip` (`ip route get`): the interface it would leave by, and the next hop. */
export function hostRouteTo(ip: string): { dev?: string; via?: string; text: string } {
  const text = execFileSync('ip', ['route', 'get', ip], { encoding: 'utf8' });
  return { dev: /\bdev (\S+)/.exec(text)?.[1], via: /\bvia (\S+)/.exec(text)?.[1], text };
}

/**
 * Run a Node script in a throwaway probe container attached to `networks` (of `app`), and return
 * its output: isolation is tested from inside the networks, never by connecting from the host to
 * addresses it has no route to. The probe carries the app's label (role `test`) and is removed.
 */
export async function probeFrom(app: string, networks: string[], script: string): Promise<string> {
  const [first, ...rest] = networks;
  const container = await docker.createContainer({
    Image: gatewayImage(),
    User: '1000:1000',
    Cmd: ['node', '-e', script],
    Labels: { [LABELS.app]: app, [LABELS.managed]: 'true', [LABELS.role]: 'test' },
    HostConfig: { NetworkMode: first, CapDrop: ['ALL'], ReadonlyRootfs: true },
  });
  try {
    for (const n of rest) await docker.getNetwork(n).connect({ Container: container.id });
    await container.start();
    await container.wait();
    const logs = (await container.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    return demuxLogs(logs);
  } finally {
    await container.remove({ force: true });
  }
}

/**
 * A Node script for `probeFrom`: tries a TCP connection to each `host:port` (1.5 s each) and
 * prints `CONNECTED <target>` or `FAILED <target> <error code>`, one line per target. Targets are
 * names (which resolve only to containers of the run, or not at all) or addresses on the probe's
 * own internal networks: nothing a probe sends can leave this machine.
 */
export function connectScript(targets: string[]): string {
  return `const net = require('net');
(async () => {
  for (const t of ${JSON.stringify(targets)}) {
    const i = t.lastIndexOf(':');
    const line = await new Promise((resolve) => {
      const s = net.connect({ host: t.slice(0, i), port: Number(t.slice(i + 1)) });
      const timer = setTimeout(() => { s.destroy(); resolve('FAILED ' + t + ' TIMEOUT'); }, 1500);
      s.on('connect', () => { clearTimeout(timer); s.destroy(); resolve('CONNECTED ' + t); });
      s.on('error', (e) => { clearTimeout(timer); resolve('FAILED ' + t + ' ' + e.code); });
    });
    console.log(line);
  }
})();`;
}
