import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import { planApp } from '../../../src/local/plan.js';
import { nginxCanServe, nginxCommand, nginxConfig } from '../../../src/local/nginx.js';
import type { GatewayConfig } from '../../../src/local/gateway.js';

const twoPorts: GatewayConfig = {
  listeners: [
    {
      port: 8080,
      mode: 'auto',
      upstreams: [
        { host: 'web-1', port: 8080 },
        { host: 'web-2', port: 8080 },
      ],
    },
    { port: 9090, mode: 'auto', upstreams: [{ host: 'web-1', port: 9090 }] },
  ],
};

describe('nginxConfig', () => {
  const conf = nginxConfig(twoPorts);
  const block = (name: string) => {
    const start = conf.indexOf(`upstream ${name} {`);
    return conf.slice(start, conf.indexOf('}', start));
  };

  it('has one upstream per listener listing its replicas by name, passive fail-over, shared state and keep-alive', () => {
    expect(block('port_8080')).toContain('server web-1:8080 max_fails=1 fail_timeout=2s;');
    expect(block('port_8080')).toContain('server web-2:8080 max_fails=1 fail_timeout=2s;');
    expect(block('port_8080')).toContain('zone port_8080 64k;');
    expect(block('port_8080')).toContain('keepalive 32;');
    expect(block('port_9090')).toContain('server web-1:9090');
    expect(block('port_9090')).not.toContain('web-2');
  });

  it('listens on each container port and proxies to its own upstream', () => {
    expect(conf).toMatch(
      /listen 0\.0\.0\.0:8080 reuseport;\s+location \/ \{\s+proxy_pass http:\/\/port_8080;/,
    );
    expect(conf).toMatch(
      /listen 0\.0\.0\.0:9090 reuseport;\s+location \/ \{\s+proxy_pass http:\/\/port_9090;/,
    );
  });

  it('retries connect failures, 502 and 503 on the next replica but never replays a POST', () => {
    expect(conf).toContain('proxy_next_upstream error timeout http_502 http_503;');
    expect(conf).not.toContain('non_idempotent');
    expect(conf).toContain('proxy_connect_timeout 1s;');
    expect(nginxConfig({ ...twoPorts, connectTimeoutMs: 3000 })).toContain('proxy_connect_timeout 3s;');
  });

  it('keeps upstream connections alive, passes upgrades and X-Forwarded-For', () => {
    expect(conf).toContain('proxy_http_version 1.1;');
    expect(conf).toContain('map $http_upgrade $connection_upgrade { default upgrade; "" ""; }');
    expect(conf).toContain('proxy_set_header Connection $connection_upgrade;');
    expect(conf).toContain('proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;');
  });

  it('runs unprivileged: no user directive, pid and temp files on /tmp, logs to stderr', () => {
    expect(conf).not.toMatch(/^\s*user\s/m);
    expect(conf).toContain('pid /tmp/nginx.pid;');
    expect(conf).toContain('error_log stderr notice;');
    for (const t of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
      expect(conf).toContain(`${t}_temp_path /tmp/${t};`);
    expect(conf).toContain('worker_processes auto;');
  });

  it('has balanced braces', () => {
    const opens = conf.split('{').length;
    expect(conf.split('}').length).toBe(opens);
  });

  it('is started from the environment through /tmp, in the foreground', () => {
    const [sh, flag, script] = nginxCommand();
    expect([sh, flag]).toEqual(['sh', '-c']);
    expect(script).toContain('"$SHIPSHAPE_NGINX_CONF" > /tmp/nginx.conf');
    expect(script).toContain('exec nginx -e stderr -c /tmp/nginx.conf -g "daemon off;"');
  });
});

describe('nginxCanServe', () => {
  it('takes HTTP listeners only', () => {
    expect(nginxCanServe(twoPorts)).toBe(true);
    const withTcp: GatewayConfig = {
      listeners: [
        ...twoPorts.listeners,
        { port: 5432, mode: 'tcp', upstreams: [{ host: 'db-1', port: 5432 }] },
      ],
    };
    expect(nginxCanServe(withTcp)).toBe(false);
    expect(nginxCanServe({ listeners: [] })).toBe(false);
  });
});

describe('planApp with lbMode nginx', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-nginx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    path.join(dir, 'compose.yaml'),
    `name: shop
services:
  web:
    image: web
    ports: ["8080:80"]
    depends_on: [api]
    deploy: {replicas: 2}
  api:
    image: api
    expose: ["5000"]
`,
  );
  const a = loadApp([], { cwd: dir, env: {} });
  const images = { web: 'img-web', api: 'img-api' };
  const plan = planApp(a, { images, lbMode: 'nginx', nginxImage: 'my-nginx:1' });
  const web = plan.containers.find((c) => c.name === 'shop-web-lb')!;
  const api = plan.containers.find((c) => c.name === 'shop-api-lb')!;

  it('gives a public-only gateway nginx, hardened like the Node gateway', () => {
    expect(web.gateway).toBe('nginx');
    expect(web.spec.Image).toBe('my-nginx:1');
    expect(web.spec.User).toBe('101:101');
    expect(web.spec.Cmd).toEqual(nginxCommand());
    const conf = web.spec.Env!.find((e) => e.startsWith('SHIPSHAPE_NGINX_CONF='))!;
    expect(conf).toContain('server web-1:80 ');
    expect(conf).toContain('server web-2:80 ');
    const hc = web.spec.HostConfig!;
    expect(hc.CapDrop).toEqual(['ALL']);
    expect(hc.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(hc.ReadonlyRootfs).toBe(true);
    expect(Object.keys(hc.Tmpfs ?? {})).toEqual(['/tmp']);
    expect(hc.PortBindings).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
  });

  it('keeps the Node gateway where internal calls (any TCP protocol) arrive', () => {
    expect(api.gateway).toBe('node');
    expect(api.spec.Cmd![0]).toBe('node');
  });

  it('changes the gateway hash, so switching --lb recreates only gateways', () => {
    const http = planApp(a, { images });
    expect(http.containers.find((c) => c.name === 'shop-web-lb')!.hash).not.toBe(web.hash);
    expect(http.containers.find((c) => c.name === 'shop-web-1')!.hash).toBe(
      plan.containers.find((c) => c.name === 'shop-web-1')!.hash,
    );
  });
});
