import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import type { AppModel } from '../../../src/model/types.js';
import {
  DEFAULT_MEMORY_BYTES,
  DEFAULT_PIDS_LIMIT,
  TMP_TMPFS,
  serviceContainerSpec,
  serviceHardening,
} from '../../../src/engine/container-spec.js';
import { engineParts } from '../../../src/model/image-ref.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function app(compose: string, files: Record<string, string> = {}): AppModel {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-spec-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'compose.yaml'), compose);
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(dir, name), body);
  return loadApp([], { cwd: dir, env: {} });
}

const shop = app(
  `name: shop
services:
  db:
    image: postgres:16
    user: "999"
    environment: {POSTGRES_DB: shop}
    volumes: ["data:/var/lib/postgresql/data", "./init.sql:/docker-entrypoint-initdb.d/init.sql:ro"]
    secrets: [dbpass]
    healthcheck: {test: ["CMD", "pg_isready"], interval: 10s, timeout: 2s, retries: 3, start_period: 1s}
    deploy: {resources: {limits: {memory: 256M, pids: 50, cpus: "0.5"}}}
    labels: {team: data}
  loose:
    image: debian:bookworm-slim
    read_only: false
    cap_add: [NET_BIND_SERVICE]
    security_opt: ["no-new-privileges:false", "apparmor:unconfined"]
    tmpfs: ["/run:size=1m"]
volumes:
  data: {}
secrets:
  dbpass: {file: ./dbpass.txt}
`,
  { 'init.sql': 'select 1;', 'dbpass.txt': 'secret' },
);
const service = (name: string) => shop.services.find((s) => s.name === name)!;

describe('the one container spec', () => {
  it('hardens by default: all capabilities dropped, no new privileges, read-only root with a noexec /tmp, limits', () => {
    expect(serviceHardening()).toEqual({
      capAdd: [],
      securityOpt: ['no-new-privileges:true'],
      readOnly: true,
      tmpfs: { '/tmp': TMP_TMPFS },
      pidsLimit: DEFAULT_PIDS_LIMIT,
      memoryBytes: DEFAULT_MEMORY_BYTES,
      privileged: false,
      sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024' },
    });
    expect(TMP_TMPFS).toContain('noexec');
  });

  it('loosens only what compose says, explicitly', () => {
    expect(serviceHardening(service('loose'))).toEqual({
      capAdd: ['NET_BIND_SERVICE'],
      securityOpt: ['apparmor:unconfined'],
      readOnly: false,
      tmpfs: { '/run': 'size=1m' },
      pidsLimit: DEFAULT_PIDS_LIMIT,
      memoryBytes: DEFAULT_MEMORY_BYTES,
      privileged: false,
      sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024' },
    });
  });

  it("builds a service's create options: command, user, env, labels, healthcheck, limits, mounts", () => {
    const spec = serviceContainerSpec({
      app: shop,
      service: service('db'),
      name: 'shop-db-1',
      image: 'postgres:16',
      labels: { 'io.shipshape.app': 'shop' },
      env: { SHIPSHAPE_REPLICA: '1' },
      volumeName: (v) => `shop_${v}`,
    });
    expect(spec).toMatchObject({
      name: 'shop-db-1',
      Image: 'postgres:16',
      User: '999',
      Env: ['POSTGRES_DB=shop', 'SHIPSHAPE_REPLICA=1'],
      Labels: { team: 'data', 'io.shipshape.app': 'shop' },
      Healthcheck: {
        Test: ['CMD', 'pg_isready'],
        Interval: 10e9,
        Timeout: 2e9,
        Retries: 3,
        StartPeriod: 1e9,
      },
    });
    expect(spec.HostConfig).toMatchObject({
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges:true'],
      ReadonlyRootfs: true,
      PidsLimit: 50,
      Memory: 256 * 1024 * 1024,
      MemorySwap: 256 * 1024 * 1024,
      NanoCpus: 0.5e9,
      Privileged: false,
    });
    expect(spec.HostConfig!.Mounts).toEqual([
      { Type: 'volume', Source: 'shop_data', Target: '/var/lib/postgresql/data', ReadOnly: false },
      {
        Type: 'bind',
        Source: path.join(shop.projectDir, 'init.sql'),
        Target: '/docker-entrypoint-initdb.d/init.sql',
        ReadOnly: true,
      },
      {
        Type: 'bind',
        Source: path.join(shop.projectDir, 'dbpass.txt'),
        Target: '/run/secrets/dbpass',
        ReadOnly: true,
      },
    ]);
  });

  it("maps named volumes to anonymous ones when the run must not touch the app's data (slim)", () => {
    const spec = serviceContainerSpec({
      app: shop,
      service: service('db'),
      name: 'x',
      image: 'postgres:16',
      labels: {},
      volumeName: () => undefined,
    });
    expect(spec.HostConfig!.Mounts![0]).toEqual({
      Type: 'volume',
      Target: '/var/lib/postgresql/data',
      ReadOnly: false,
    });
  });

  it('refuses a secret that is not file-based, naming the service and the fix', () => {
    const envSecret = app(
      'name: e\nservices:\n  api:\n    image: x\n    secrets: [token]\nsecrets:\n  token: {environment: TOKEN}\n',
    );
    expect(() =>
      serviceContainerSpec({
        app: envSecret,
        service: envSecret.services[0]!,
        name: 'e-api-1',
        image: 'x',
        labels: {},
        volumeName: (v) => v,
      }),
    ).toThrow(/secret "token" of service "api" is not file-based/);
  });
});

describe('engineParts (through the one image-reference parser)', () => {
  const repositoryAndTag = (r: string) => engineParts(r, 'pull');
  it('splits registry ports, tags and digests the way the engine API wants them', () => {
    expect(repositoryAndTag('nginx')).toEqual({ repo: 'nginx', tag: 'latest' });
    expect(repositoryAndTag('127.0.0.1:5000/team/app:1.2')).toEqual({
      repo: '127.0.0.1:5000/team/app',
      tag: '1.2',
    });
    expect(repositoryAndTag('localhost:5000/app')).toEqual({ repo: 'localhost:5000/app', tag: 'latest' });
    // dockerode's own split takes this one apart at the last colon: repository `app:1`.
    expect(repositoryAndTag(`app:1@sha256:${'a'.repeat(64)}`)).toEqual({
      repo: 'app',
      tag: `sha256:${'a'.repeat(64)}`,
    });
  });
  it('tags with the tag, never the digest (a digest cannot name a local tag)', () => {
    expect(engineParts(`app:1@sha256:${'a'.repeat(64)}`, 'tag')).toEqual({ repo: 'app', tag: '1' });
    expect(engineParts(`app@sha256:${'a'.repeat(64)}`, 'tag')).toEqual({ repo: 'app', tag: 'latest' });
    expect(engineParts('127.0.0.1:5000/app:1.2', 'tag')).toEqual({ repo: '127.0.0.1:5000/app', tag: '1.2' });
  });
});
