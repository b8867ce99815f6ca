/**
 * Attacks on "reaches the host" and "cannot exist on Fargate" (docs/check.md, docker-socket,
 * host-path, fargate-unsupported, confinement-disabled): paths are judged where they really lead
 * (`..`, symlinks, volume driver options, build contexts, env files), and every host-only
 * setting is refused, located, never dropped.
 */
import { mkdirSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ShipshapeError } from '../../../src/model/errors.js';
import { isEngineSocket, realPath } from '../../../src/model/host-paths.js';
import { loadApp } from '../../../src/model/load.js';
import type { AppModel } from '../../../src/model/types.js';
import { assertCloudReady, gateFindings } from '../../../src/model/gate.js';
import { composeDir } from '../../support/compose-dir.js';

const loadDir = (dir: string): AppModel => loadApp([], { cwd: dir, env: {} });
const refusals = (app: AppModel) =>
  gateFindings(app)
    .filter((f) => f.kind === 'refusal')
    .map((f) => `${f.service}: ${f.rule} @${f.location?.line}`);

/** A service mounting `source` (written as is in the compose file). */
const mounting = (source: string, extra: Record<string, string> = {}) =>
  composeDir({
    'compose.yaml': `services:\n  app:\n    image: example/app:1\n    user: "1000"\n    volumes:\n      - ${source}:/mnt\n`,
    ...extra,
  });

describe('reaches the host: paths are judged where they lead', () => {
  it('any spelling of a system path (.., //, /./) is refused', () => {
    const system = fc.constantFrom('/etc', '/proc', '/var/lib', '/root', '/usr/bin', '/sys/fs', '/');
    const detour = fc.constantFrom('', '/tmp/..', '/.', '//', '/etc/..');
    fc.assert(
      fc.property(detour, system, fc.constantFrom('', '/', '/.'), (d, p, end) => {
        const source = `${d}${p}${end}`.replace(/^\/\/+/, '/');
        const app = loadDir(mounting(source.startsWith('/') ? source : `/${source}`));
        expect(refusals(app), source).toEqual(['app: host-path @6']);
      }),
      { numRuns: 40 },
    );
  });

  it('a project symlink to /etc, to a system file, or (dangling) to the Docker socket is what it points at', () => {
    for (const [target, rule] of [
      ['/etc', 'host-path'],
      ['/etc/hostname', 'host-path'],
      ['/var/run/docker.sock', 'docker-socket'],
      ['/run/podman/podman.sock', 'docker-socket'],
    ] as const) {
      const dir = mounting('./link');
      symlinkSync(target, join(dir, 'link'));
      const app = loadDir(dir);
      expect(refusals(app), target).toEqual([`app: ${rule} @6`]);
      expect(app.services[0]!.intent.mounts[0]!.reason, target).toContain('leads there');
    }
  });

  it('a symlinked directory on the way counts too (./conf/x where conf → /etc)', () => {
    const dir = mounting('./conf/passwd');
    symlinkSync('/etc', join(dir, 'conf'));
    expect(refusals(loadDir(dir))).toEqual(['app: host-path @6']);
    expect(realPath(join(dir, 'conf', 'passwd'))).toBe('/etc/passwd');
  });

  it('container engine sockets by name: Docker, Podman (rootful and rootless), containerd, CRI-O', () => {
    for (const p of [
      '/var/run/docker.sock',
      '/run/docker.sock',
      '/run/podman/podman.sock',
      '/run/user/1000/podman/podman.sock',
      '/run/user/1000/docker.sock',
      '/run/containerd/containerd.sock',
      '/var/run/crio/crio.sock',
      '/home/me/.docker/run/docker.sock',
    ])
      expect(isEngineSocket(p), p).toBe(true);
    expect(isEngineSocket('/srv/app/data')).toBe(false);
  });

  const servers: Server[] = [];
  afterAll(() => servers.forEach((s) => s.close()));
  it('any socket file is a socket, whatever its name', async () => {
    const dir = mounting('./api.sock');
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(join(dir, 'api.sock'), resolve));
    expect(refusals(loadDir(dir))).toEqual(['app: docker-socket @6']);
  });

  it('a named volume that binds a host path through driver_opts is that host path', () => {
    const volume = (device: string, o = 'bind') =>
      composeDir({
        'compose.yaml': `services:\n  app:\n    image: example/app:1\n    user: "1000"\n    volumes:\n      - sneaky:/mnt\nvolumes:\n  sneaky:\n    driver: local\n    driver_opts: { type: none, o: "${o}", device: "${device}" }\n`,
      });
    expect(refusals(loadDir(volume('/var/run/docker.sock')))).toEqual(['app: docker-socket @6']);
    expect(refusals(loadDir(volume('/etc', 'rbind,ro')))).toEqual(['app: host-path @6']);
    const data = volume('./data');
    mkdirSync(join(data, 'data'));
    expect(refusals(loadDir(data))).toEqual([]);
    expect(loadDir(data).services[0]!.intent.mounts[0]!.reason).toMatch(/binds .*data \(driver_opts\)/);
  });

  it('a build context of / (or /etc, or the home directory) is refused, and makes no host path an "overlay"', () => {
    const dir = composeDir({
      'compose.yaml':
        'services:\n  app:\n    build:\n      context: /\n      dockerfile: /tmp/none/Dockerfile\n    user: "1000"\n    volumes:\n      - /etc:/host-etc:ro\n',
    });
    const found = refusals(loadDir(dir));
    expect(found).toContain('app: host-path @4');
    expect(found).toContain('app: host-path @8');
    for (const context of ['/etc', '"~/"'])
      expect(
        refusals(
          loadDir(
            composeDir({ 'compose.yaml': `services:\n  app:\n    build: ${context}\n    user: "1000"\n` }),
          ),
        ),
        context,
      ).toContain('app: host-path @3');
    // A context beside the project (compose in docker/, `build: ..`) is a common layout: fine.
    const parent = composeDir({
      'sub/compose.yaml': 'services:\n  app:\n    build: ..\n    user: "1000"\n',
      Dockerfile: 'FROM debian:12\n',
    });
    expect(refusals(loadApp([join(parent, 'sub/compose.yaml')], { env: {} }))).toEqual([]);
  });

  it('env_file outside the project (by .. or by a symlink) is a located input error, never read', () => {
    for (const [entry, extra] of [
      ['../../../../../../etc/passwd', {}],
      ['./passwd', { link: '/etc/passwd' }],
    ] as const) {
      const dir = composeDir({
        'compose.yaml': `services:\n  app:\n    image: example/app:1\n    env_file: ${entry}\n`,
      });
      if ('link' in extra) symlinkSync(extra.link, join(dir, 'passwd'));
      let error: ShipshapeError | undefined;
      try {
        loadDir(dir);
      } catch (e) {
        error = e as ShipshapeError;
      }
      expect(error?.exitCode, entry).toBe(2);
      expect(error?.message, entry).toMatch(/outside the project/);
      expect(error?.location?.line, entry).toBe(4);
    }
  });

  it('a directory where an env file belongs is a located input error (exit 2)', () => {
    const dir = composeDir({
      'compose.yaml': 'services:\n  app:\n    image: example/app:1\n    env_file: ./conf\n',
      'conf/x': '',
    });
    expect(() => loadDir(dir)).toThrow(/is not a file/);
  });
});

describe('cannot exist on Fargate: refused, never dropped', () => {
  const app = loadDir(
    composeDir({
      'compose.yaml': `services:
  a:
    image: example/a:1
    user: "1000"
    network_mode: none
  b:
    image: example/b:1
    user: "1000"
    network_mode: service:a
    pid: service:a
    ipc: container:other
  c:
    image: example/c:1
    user: "1000"
    userns_mode: host
    uts: host
    cgroup: host
    cgroup_parent: /system
  d:
    image: example/d:1
    user: "1000"
    sysctls:
      net.core.somaxconn: 1024
    device_cgroup_rules: ["c 1:3 mr"]
    runtime: nvidia
    volumes_from: [a]
    security_opt: ["seccomp:unconfined", "apparmor=unconfined", "seccomp:./profile.json", "no-new-privileges:true"]
  local:
    image: example/l:1
    userns_mode: host
    x-shipshape: { local-only: true }
`,
    }),
  );
  it('each setting is a located refusal with its fix', () => {
    expect(refusals(app)).toEqual([
      'a: fargate-unsupported @5',
      'b: fargate-unsupported @10',
      'b: fargate-unsupported @11',
      'b: fargate-unsupported @9',
      'c: fargate-unsupported @15',
      'c: fargate-unsupported @16',
      'c: fargate-unsupported @17',
      'c: fargate-unsupported @18',
      'd: fargate-unsupported @25',
      'd: fargate-unsupported @23',
      'd: fargate-unsupported @24',
      'd: fargate-unsupported @26',
      'd: confinement-disabled @27',
      'd: confinement-disabled @27',
      'd: fargate-unsupported @27',
    ]);
    for (const f of gateFindings(app)) expect(f.fix.length, f.message).toBeGreaterThan(10);
  });
  it('synth refuses the app (exit 2), listing them all', () => {
    let error: ShipshapeError | undefined;
    try {
      assertCloudReady(app);
    } catch (e) {
      error = e as ShipshapeError;
    }
    expect(error?.exitCode).toBe(2);
    expect(1 + error!.more.length).toBe(15);
  });
});
