import { createRequire } from 'node:module';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  gatewayBalancing,
  gatewayCommand,
  gatewayMain,
  type GatewayHandle,
} from '../../../src/local/gateway.js';

const load = createRequire(import.meta.url);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real HTTP replica that answers its name; `kill()` closes it and drops its connections. */
async function replica(name: string, state = { healthy: true }) {
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') {
      res.statusCode = state.healthy ? 200 : 503;
      return void res.end(state.healthy ? 'ok' : 'sick');
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => res.end(`${name}${body ? `:${body}` : ''}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const kill = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  cleanups.push(async () => (server.listening ? kill() : undefined));
  return { port, kill };
}

async function startGateway(config: Parameters<typeof gatewayMain>[0]): Promise<GatewayHandle> {
  const g = gatewayMain({ probeIntervalMs: 100, host: '127.0.0.1', ...config }, load);
  cleanups.push(() => g.close());
  await g.ready;
  return g;
}

function get(port: number, agent: http.Agent, path = '/', body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, agent, method: body ? 'POST' : 'GET' },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(text) : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('gateway (embedded load balancer)', () => {
  it('balances HTTP per request, even over one keep-alive connection, and passes bodies', async () => {
    const [a, b] = [await replica('ONE'), await replica('TWO')];
    const g = await startGateway({
      listeners: [
        {
          port: 0,
          mode: 'auto',
          healthPath: '/healthz',
          upstreams: [a, b].map((r) => ({ host: '127.0.0.1', port: r.port })),
        },
      ],
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(async () => agent.destroy());
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await get(g.ports()[0]!, agent));
    expect(answers.filter((x) => x === 'ONE')).toHaveLength(5);
    expect(answers.filter((x) => x === 'TWO')).toHaveLength(5);
    expect(answers[0]).not.toBe(answers[1]);
    expect(await get(g.ports()[0]!, agent, '/', 'payload')).toMatch(/^(ONE|TWO):payload$/);
  });

  it('skips a killed replica without failing a request', async () => {
    const [a, b] = [await replica('ONE'), await replica('TWO')];
    const g = await startGateway({
      listeners: [
        {
          port: 0,
          mode: 'auto',
          healthPath: '/healthz',
          upstreams: [a, b].map((r) => ({ host: '127.0.0.1', port: r.port })),
        },
      ],
    });
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(async () => agent.destroy());
    expect(new Set(await Promise.all([0, 1, 2, 3].map(() => get(g.ports()[0]!, agent))))).toEqual(
      new Set(['ONE', 'TWO']),
    );
    await b.kill();
    // GET requests are retried on the next replica, so none fails even before the probe notices.
    const after = [];
    for (let i = 0; i < 20; i++) after.push(await get(g.ports()[0]!, agent));
    expect(new Set(after)).toEqual(new Set(['ONE']));
  });

  it('skips a replica whose health path fails, and takes it back when it recovers', async () => {
    const twoState = { healthy: true };
    const [a, b] = [await replica('ONE'), await replica('TWO', twoState)];
    const g = await startGateway({
      listeners: [
        {
          port: 0,
          mode: 'auto',
          healthPath: '/healthz',
          upstreams: [a, b].map((r) => ({ host: '127.0.0.1', port: r.port })),
        },
      ],
    });
    const agent = new http.Agent({ keepAlive: true });
    cleanups.push(async () => agent.destroy());
    twoState.healthy = false;
    await new Promise((r) => setTimeout(r, 400)); // a few probe intervals (100 ms here)
    const sick = [];
    for (let i = 0; i < 6; i++) sick.push(await get(g.ports()[0]!, agent));
    expect(new Set(sick)).toEqual(new Set(['ONE']));
    twoState.healthy = true;
    await new Promise((r) => setTimeout(r, 400));
    const healed = [];
    for (let i = 0; i < 6; i++) healed.push(await get(g.ports()[0]!, agent));
    expect(new Set(healed)).toEqual(new Set(['ONE', 'TWO']));
  });

  it('forwards headers as sent, minus hop-by-hop ones, adding the client to X-Forwarded-For', async () => {
    const seen: string[][] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.rawHeaders);
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.setHeader('X-Replica', 'ONE');
      res.setHeader('Keep-Alive', 'timeout=5');
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const upstream = { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
    const g = await startGateway({ listeners: [{ port: 0, mode: 'auto', upstreams: [upstream] }] });
    /** One raw request on its own connection; the answer's head. */
    const send = async (head: string) => {
      const socket = net.connect(g.ports()[0]!, '127.0.0.1');
      socket.write(`${head}\r\n\r\n`); // the answer ends the connection (Connection: close, HTTP/1.0)
      let answer = '';
      for await (const chunk of socket) answer += (chunk as Buffer).toString();
      return answer.split('\r\n\r\n')[0]!;
    };
    const answer = await send(
      'GET / HTTP/1.1\r\nHost: app.test\r\nX-Custom: Yes\r\nX-Forwarded-For: 10.0.0.9\r\nProxy-Connection: keep-alive\r\nConnection: close',
    );
    const forwarded = seen[0]!;
    const value = (name: string) => forwarded[forwarded.findIndex((h) => h.toLowerCase() === name) + 1];
    expect(value('host')).toBe('app.test');
    expect(forwarded).toContain('X-Custom'); // the client's spelling
    expect(value('x-custom')).toBe('Yes');
    expect(value('x-forwarded-for')).toBe('10.0.0.9, 127.0.0.1');
    expect(forwarded.map((h) => h.toLowerCase())).not.toContain('proxy-connection');
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.match(/^Set-Cookie: .*$/gim)).toEqual(['Set-Cookie: a=1', 'Set-Cookie: b=2']);
    expect(answer).toMatch(/^X-Replica: ONE$/m);
    expect(answer).not.toMatch(/^Keep-Alive:/im);
    // HTTP/1.0 without Host: the replica's HTTP/1.1 server requires one, so the gateway names it.
    expect(await send('GET / HTTP/1.0')).toMatch(/^HTTP\/1\.[01] 200 /);
    expect(seen[1]![seen[1]!.findIndex((h) => h.toLowerCase() === 'host') + 1]).toBe(
      `${upstream.host}:${upstream.port}`,
    );
  });

  it('a request arriving while the only replica is not yet listening is answered once it is', async () => {
    const reserved = net.createServer();
    await new Promise<void>((r) => reserved.listen(0, '127.0.0.1', () => r()));
    const port = (reserved.address() as net.AddressInfo).port;
    await new Promise<void>((r) => reserved.close(() => r()));
    const g = await startGateway({
      listeners: [{ port: 0, mode: 'auto', upstreams: [{ host: '127.0.0.1', port }] }],
    });
    const answer = get(g.ports()[0]!, new http.Agent());
    await new Promise((r) => setTimeout(r, 400));
    const late = http.createServer((_req, res) => res.end('LATE'));
    await new Promise<void>((r) => late.listen(port, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => late.close(() => r())));
    await expect(answer).resolves.toBe('LATE');
  });

  it('answers 502 when no replica is reachable', async () => {
    const a = await replica('ONE');
    await a.kill();
    const g = await startGateway({
      listeners: [{ port: 0, mode: 'auto', upstreams: [{ host: '127.0.0.1', port: a.port }] }],
    });
    await expect(get(g.ports()[0]!, new http.Agent())).rejects.toThrow('HTTP 502');
  });

  it('proxies non-HTTP bytes as TCP, per connection', async () => {
    const echo = net.createServer((s) => {
      s.on('error', () => undefined); // probes and clients hang up abruptly
      s.pipe(s);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => echo.close(() => r())));
    const port = (echo.address() as net.AddressInfo).port;
    for (const mode of ['auto', 'tcp'] as const) {
      const g = await startGateway({
        listeners: [{ port: 0, mode, upstreams: [{ host: '127.0.0.1', port }] }],
      });
      const reply = await new Promise<string>((resolve, reject) => {
        const s = net.connect(g.ports()[0]!, '127.0.0.1', () => s.write('\u0000binary ping'));
        s.once('data', (d) => {
          resolve(d.toString());
          s.destroy();
        });
        s.on('error', reject);
      });
      expect(reply).toBe('\u0000binary ping');
    }
  });

  it('proxies server-speaks-first protocols (client silent) as TCP in auto mode', async () => {
    const greeter = net.createServer((s) => {
      // The gateway's TCP health probes and the test client hang up abruptly: resets are expected.
      s.on('error', () => undefined);
      s.write('220 hello\r\n');
      s.pipe(s);
    });
    await new Promise<void>((r) => greeter.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => greeter.close(() => r())));
    const port = (greeter.address() as net.AddressInfo).port;
    const g = await startGateway({
      listeners: [{ port: 0, mode: 'auto', upstreams: [{ host: '127.0.0.1', port }] }],
    });
    const greeting = await new Promise<string>((resolve, reject) => {
      const s = net.connect(g.ports()[0]!, '127.0.0.1');
      s.once('data', (d) => {
        resolve(d.toString());
        s.destroy();
      });
      s.on('error', reject);
    });
    expect(greeting).toBe('220 hello\r\n');
  });

  it('relays UDP, each client pinned to one replica, replies back to the client', async () => {
    /** A UDP replica that answers `NAME:payload`. */
    const udpReplica = async (name: string) => {
      const socket = dgram.createSocket('udp4');
      socket.on('message', (m, from) => socket.send(`${name}:${m.toString()}`, from.port, from.address));
      await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
      cleanups.push(() => new Promise((r) => socket.close(() => r())));
      return socket.address().port;
    };
    const ports = [await udpReplica('ONE'), await udpReplica('TWO')];
    const g = await startGateway({
      listeners: [{ port: 0, mode: 'udp', upstreams: ports.map((port) => ({ host: '127.0.0.1', port })) }],
    });
    /** One client socket sending `payloads` in turn, each awaiting its answer (bounded by a timeout). */
    const client = async (payloads: string[]) => {
      const socket = dgram.createSocket('udp4');
      const answers: string[] = [];
      try {
        for (const p of payloads) {
          const answer = once(socket, 'message', { signal: AbortSignal.timeout(2000) });
          socket.send(p, g.ports()[0]!, '127.0.0.1');
          answers.push(String((await answer)[0]));
        }
      } finally {
        socket.close();
      }
      return answers;
    };
    const first = await client(['a', 'b', 'c']);
    const second = await client(['d']);
    // Pinned: one client's datagrams all reach the same replica; the next client gets the other.
    const names = (xs: string[]) => new Set(xs.map((x) => x.split(':')[0]));
    expect(names(first).size).toBe(1);
    expect(first.map((x) => x.split(':')[1])).toEqual(['a', 'b', 'c']);
    expect([...names(first), ...names(second)].sort()).toEqual(['ONE', 'TWO']);
  });

  it('runs as the self-contained `node -e` command used in containers', async () => {
    const a = await replica('ONE');
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const config = {
      host: '127.0.0.1',
      listeners: [{ port, mode: 'auto', upstreams: [{ host: '127.0.0.1', port: a.port }] }],
    };
    const [node, ...args] = gatewayCommand();
    expect(node).toBe('node');
    const child = spawn(process.execPath, args, {
      env: { SHIPSHAPE_GATEWAY: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    });
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()),
    );
    expect(await get(port, new http.Agent())).toBe('ONE');
  });
});

describe('gatewayBalancing (when up counts a gateway as ready)', () => {
  const config = {
    listeners: [
      {
        port: 8080,
        mode: 'auto' as const,
        healthPath: '/healthz',
        upstreams: [
          { host: 'web-1', port: 8080 },
          { host: 'web-2', port: 8080 },
        ],
      },
      { port: 9229, mode: 'tcp' as const, upstreams: [{ host: 'web-1', port: 9229 }] },
    ],
  };
  const listening =
    'gateway: listening on :8080 → web-1:8080, web-2:8080\ngateway: listening on :9229 → web-1:9229';

  it('waits for every listener, then for every health-probed replica last seen down to come back', () => {
    expect(gatewayBalancing('gateway: listening on :8080 → web-1:8080, web-2:8080', config)).toBe(false);
    expect(gatewayBalancing(listening, config)).toBe(true);
    const down = `${listening}\ngateway: web-1:8080 down (connect ECONNREFUSED)`;
    expect(gatewayBalancing(down, config)).toBe(false);
    expect(gatewayBalancing(`${down}\ngateway: web-1:8080 up`, config)).toBe(true);
  });

  it('does not wait for ports without a health path (a debug port may never listen)', () => {
    expect(gatewayBalancing(`${listening}\ngateway: web-1:9229 down (connect ECONNREFUSED)`, config)).toBe(
      true,
    );
  });
});
