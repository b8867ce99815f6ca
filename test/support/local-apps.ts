/**
 * Shared fixture for integration tests of `shipshape up`: examples loaded under per-run names on
 * ephemeral host ports, removed (and checked gone, by label) after each test.
 */
import http from 'node:http';
import path from 'node:path';
import { afterAll, afterEach, expect } from 'vitest';
import { LABELS, engine } from '../../src/engine/client.js';
import { loadApp } from '../../src/model/load.js';
import type { AppModel } from '../../src/model/types.js';
import { down, ps } from '../../src/local/ops.js';
import { demuxLogs } from '../../src/engine/logs.js';

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
      // A copy: the loaded model is frozen, and each test run gets its own names and ports.
      const app = structuredClone(loadApp([], { cwd: dir, env: {} }));
      app.name = `${app.name}-${run}-${suffix}`;
      for (const s of app.services) {
        for (const p of s.ports) p.published = undefined;
        if (s.healthcheck) s.healthcheck.intervalMs = 1000;
      }
      apps.push(app.name);
      return app;
    },
  };
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
  const e = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({});
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  await new Promise((r) => stream.on('end', r));
  const info = await e.inspect();
  return { code: info.ExitCode ?? -1, out: demuxLogs(Buffer.concat(chunks)) };
}
