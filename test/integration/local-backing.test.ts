/**
 * Backing services on the real engine: the notes fixture runs mariadb and redis (the offline
 * stand-ins of scripts/dev-env.sh here, the official images elsewhere) with named volumes, as
 * their data users on a read-only root. A note written through the app survives `down` + `up`;
 * `down -v` removes the volumes.
 */
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { docker, publishedPort, useLocalApps } from '../support/local-apps.js';
import { down } from '../../src/local/ops.js';
import { up } from '../../src/local/up.js';

const { example } = useLocalApps('b');
const fixture = path.resolve(import.meta.dirname, '../fixtures/local/notes');

function request(method: string, port: number, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: url, method, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The app's note. Up to 3 tries, 1 s apart, on the gateway's 502: this test is about the data
 * surviving `down` + `up`; under CI's load the gateway's 1 s connect to a replica that has just
 * passed its healthcheck was once seen to time out (readiness has its own tests in local-up).
 */
async function note(app: Parameters<typeof publishedPort>[0]): Promise<unknown> {
  const port = await publishedPort(app, 'app');
  let r = await request('GET', port, '/note');
  for (let i = 0; i < 2 && r.status === 502; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    r = await request('GET', port, '/note');
  }
  expect(r.status, r.body).toBe(200);
  return JSON.parse(r.body);
}

const volumeExists = (name: string) =>
  docker
    .getVolume(name)
    .inspect()
    .then(() => true)
    .catch(() => false);

describe('backing services locally', () => {
  it('notes: mariadb and redis keep a note across down + up, and down -v removes it', async () => {
    const app = example(fixture, 'notes');
    await up(app);
    const volumes = [`${app.name}_db-data`, `${app.name}_cache-data`];

    // Hardened like the rest: the datastores run as their data users on a read-only root.
    const db = await docker.getContainer(`${app.name}-db-1`).inspect();
    expect(db.Config.User).toBe('999:999');
    expect(db.HostConfig.ReadonlyRootfs).toBe(true);
    expect(db.HostConfig.CapDrop).toEqual(['ALL']);
    expect((await docker.getContainer(`${app.name}-cache-1`).inspect()).Config.User).toBe('999:999');

    const put = await request('PUT', await publishedPort(app, 'app'), '/note?text=kept42');
    expect(put.status, put.body).toBe(200);
    expect(await note(app)).toEqual({ db: 'kept42', cache: 'kept42' });

    const removed = await down(app);
    expect(removed.volumes).toBe(0);
    for (const v of volumes) expect(await volumeExists(v), v).toBe(true);

    await up(app);
    expect(await note(app)).toEqual({ db: 'kept42', cache: 'kept42' });

    const gone = await down(app, { volumes: true });
    expect(gone.volumes).toBe(2);
    for (const v of volumes) expect(await volumeExists(v), v).toBe(false);
  });
});
