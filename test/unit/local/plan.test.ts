import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import { ShipshapeError } from '../../../src/model/errors.js';
import type { AppModel } from '../../../src/model/types.js';
import {
  DEFAULT_MEMORY_BYTES,
  DEFAULT_PIDS_LIMIT,
  dependencyOrder,
  planApp,
  restartPolicy,
} from '../../../src/local/plan.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function app(compose: string): AppModel {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-plan-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'compose.yaml'), compose);
  return loadApp([], { cwd: dir, env: {} });
}
const images = (a: AppModel) => Object.fromEntries(a.services.map((s) => [s.name, `img-${s.name}`]));

const threeTier = `name: shop
services:
  web:
    image: web
    ports: ["8080:80"]
    depends_on: [api]
    deploy: {replicas: 2}
  api:
    image: api
    expose: ["5000"]
    depends_on: [db]
    read_only: false
    cap_add: [NET_BIND_SERVICE]
    security_opt: ["no-new-privileges:false"]
  db:
    image: postgres
    expose: ["5432"]
    deploy: {resources: {limits: {memory: 256M, pids: 50}}}
`;

describe('planApp', () => {
  const a = app(threeTier);
  const plan = planApp(a, { images: images(a) });
  const byName = (n: string) => plan.containers.find((c) => c.name === n)!;

  it('starts dependencies first', () => {
    expect(plan.order).toEqual(['db', 'api', 'web']);
  });

  it('gives every call its own internal network, shared only by the caller and the callee gateway', () => {
    const nets = Object.fromEntries(plan.networks.map((n) => [n.name, n.internal]));
    expect(nets).toEqual({
      shop_web: true,
      'shop_web-edge': false,
      shop_api: true,
      shop_db: true,
      'shop_web-to-api': true,
      'shop_api-to-db': true,
    });
    const members = (net: string) =>
      plan.containers.filter((c) => c.networks.some((n) => n.network === net)).map((c) => c.name);
    expect(members('shop_web-to-api').sort()).toEqual(['shop-api-lb', 'shop-web-1', 'shop-web-2']);
    expect(members('shop_api-to-db').sort()).toEqual(['shop-api-1', 'shop-db-lb']);
    expect(members('shop_web-edge')).toEqual(['shop-web-lb']);
    // db and web never share a network: web cannot reach db, db cannot reach anyone.
    const dbNets = new Set(byName('shop-db-1').networks.map((n) => n.network));
    expect(byName('shop-web-1').networks.some((n) => dbNets.has(n.network))).toBe(false);
    // The callee's gateway answers to the compose name on the call network.
    expect(byName('shop-api-lb').networks.find((n) => n.network === 'shop_web-to-api')!.aliases).toEqual([
      'api',
    ]);
    expect(byName('shop-api-1').networks).toEqual([
      { network: 'shop_api', aliases: ['api', 'api-1'] },
      { network: 'shop_api-to-db', aliases: [] },
    ]);
  });

  it('publishes only the public gateway, on 127.0.0.1 unless told otherwise', () => {
    const withPorts = plan.containers.filter(
      (c) => Object.keys(c.spec.HostConfig?.PortBindings ?? {}).length > 0,
    );
    expect(withPorts.map((c) => c.name)).toEqual(['shop-web-lb']);
    expect(byName('shop-web-lb').spec.HostConfig!.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }],
    });
    const open = planApp(a, { images: images(a), host: '0.0.0.0' });
    expect(open.containers.find((c) => c.name === 'shop-web-lb')!.spec.HostConfig!.PortBindings).toEqual({
      '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }],
    });
  });

  it('publishes UDP ports as UDP, through a UDP listener of the gateway', () => {
    const game = app(`name: game
services:
  server:
    image: game
    ports: ["127.0.0.1:27015:27015/udp", "127.0.0.1:27015:27015"]
`);
    const lb = planApp(game, { images: images(game) }).containers.find((c) => c.name === 'game-server-lb')!;
    expect(lb.spec.HostConfig!.PortBindings).toEqual({
      '27015/udp': [{ HostIp: '127.0.0.1', HostPort: '27015' }],
      '27015/tcp': [{ HostIp: '127.0.0.1', HostPort: '27015' }],
    });
    expect(Object.keys(lb.spec.ExposedPorts!).sort()).toEqual(['27015/tcp', '27015/udp']);
    const config = JSON.parse(lb.spec.Env!.find((e) => e.startsWith('SHIPSHAPE_GATEWAY='))!.slice(18));
    expect(config.listeners.map((l: { port: number; mode: string }) => `${l.port}/${l.mode}`).sort()).toEqual(
      ['27015/tcp', '27015/udp'],
    );
  });

  it('hardens by default and loosens only what compose says', () => {
    const web = byName('shop-web-1').spec;
    expect(web.HostConfig).toMatchObject({
      CapDrop: ['ALL'],
      // The image's own user (root, until it says otherwise) listens on 80: with every capability
      // dropped and Fargate's low-port rule in its network namespace, only this lets it bind.
      CapAdd: ['NET_BIND_SERVICE'],
      Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024' },
      SecurityOpt: ['no-new-privileges:true'],
      ReadonlyRootfs: true,
      PidsLimit: DEFAULT_PIDS_LIMIT,
      Memory: DEFAULT_MEMORY_BYTES,
      Privileged: false,
    });
    expect(web.HostConfig!.Tmpfs).toHaveProperty('/tmp');
    expect(web.Env).toContain('SHIPSHAPE_REPLICA=1');
    expect(byName('shop-web-2').spec.Env).toContain('SHIPSHAPE_REPLICA=2');
    const api = byName('shop-api-1').spec.HostConfig!;
    expect(api).toMatchObject({
      CapDrop: ['ALL'],
      CapAdd: ['NET_BIND_SERVICE'],
      SecurityOpt: [],
      ReadonlyRootfs: false,
    });
    expect(api.Tmpfs).toEqual({});
    expect(byName('shop-db-1').spec.HostConfig).toMatchObject({ Memory: 256 * 1024 * 1024, PidsLimit: 50 });
  });

  it('changes a container hash only when its own settings or image change', () => {
    const b = app(threeTier.replace('image: api', 'image: api\n    environment: {X: "1"}'));
    const again = planApp(b, { images: images(b) });
    const hash = (p: typeof plan, n: string) => p.containers.find((c) => c.name === n)!.hash;
    expect(hash(again, 'shop-api-1')).not.toBe(hash(plan, 'shop-api-1'));
    expect(hash(again, 'shop-web-1')).toBe(hash(plan, 'shop-web-1'));
    const rebuilt = planApp(a, { images: images(a), imageIds: { 'img-web': 'sha256:new' } });
    expect(hash(rebuilt, 'shop-web-1')).not.toBe(hash(plan, 'shop-web-1'));
    expect(hash(rebuilt, 'shop-api-1')).toBe(hash(plan, 'shop-api-1'));
  });

  it('limits the plan to the requested services and their dependencies', () => {
    const only = planApp(a, { images: images(a), services: ['api'] });
    expect(only.order).toEqual(['db', 'api']);
    expect(only.containers.some((c) => c.service === 'web')).toBe(false);
    expect(only.containers.map((c) => c.name).sort()).toEqual([
      'shop-api-1',
      'shop-api-lb',
      'shop-db-1',
      'shop-db-lb',
    ]);
    // Selecting fewer services changes no container: `up api` after `up` recreates nothing.
    for (const c of only.containers)
      expect(c.hash).toBe(plan.containers.find((x) => x.name === c.name)!.hash);
    expect(only.networks.map((n) => n.name)).toContain('shop_web-to-api');
  });

  it('rejects unknown services and network_mode with a usage error', () => {
    expect(() => dependencyOrder(a, ['nope'])).toThrow(/no service named "nope"/);
    const host = app('name: h\nservices:\n  x: {image: x, network_mode: host}\n');
    expect(() => planApp(host, { images: images(host) })).toThrow(ShipshapeError);
  });

  it('maps compose restart values to engine restart policies', () => {
    expect(restartPolicy(undefined)).toEqual({ Name: '' });
    expect(restartPolicy('no')).toEqual({ Name: '' });
    expect(restartPolicy('unless-stopped')).toEqual({ Name: 'unless-stopped' });
    expect(restartPolicy('on-failure:3')).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
  });
});

describe('planApp: datastores with their data', () => {
  it("runs a datastore image as its data user with its socket directory writable, and its named volume as the app's", () => {
    const a = app(
      'name: shop\nservices:\n  db:\n    image: mariadb:11\n    volumes: ["data:/var/lib/mysql"]\n  cache:\n    image: redis:7\n    user: "1234"\nvolumes:\n  data:\n',
    );
    const plan = planApp(a, { images: images(a) });
    const db = plan.containers.find((c) => c.name === 'shop-db-1')!.spec;
    expect(db.User).toBe('999:999');
    expect(db.HostConfig!.ReadonlyRootfs).toBe(true);
    expect(db.HostConfig!.Tmpfs).toMatchObject({ '/run/mysqld': expect.stringContaining('mode=1777') });
    expect(db.HostConfig!.Mounts).toEqual([
      { Type: 'volume', Source: 'shop_data', Target: '/var/lib/mysql', ReadOnly: false },
    ]);
    expect(plan.volumes).toEqual([
      { name: 'shop_data', labels: expect.objectContaining({ 'io.shipshape.app': 'shop' }) },
    ]);
    // Compose's own user wins.
    expect(plan.containers.find((c) => c.name === 'shop-cache-1')!.spec.User).toBe('1234');
  });
});
