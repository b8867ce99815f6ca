/**
 * The embedded load balancer ("gateway") that `shipshape up` puts in front of every service that
 * is public or has callers. It runs as `node -e` inside a stock Node image, so it needs no image
 * of its own, works offline, and is the same code on every machine.
 *
 * Why hand-written: it is ~200 lines over node:http/node:net, and what it must do — per-request
 * round robin for HTTP, plain TCP for everything else on the same port, active health probes,
 * passive fail-over without failing a request — is exactly the part a generic proxy library
 * would still leave to us; nginx needs an image we cannot assume is present, so it is the opt-in
 * `--lb nginx` (nginx.ts), which renders the same GatewayConfig as an nginx.conf.
 *
 * `gatewayMain` is serialised with `Function.prototype.toString`, so it must not reference
 * anything outside its own body: modules come in through `load` (the container's `require`).
 */

export interface GatewayUpstream {
  /** DNS name of one replica on the service's backend network, e.g. `hello-2`. */
  host: string;
  port: number;
}

export interface GatewayListener {
  /** Port the gateway listens on (the service's container port). */
  port: number;
  /**
   * `auto`: HTTP/1 requests are balanced per request (so a browser's keep-alive connection
   * still alternates replicas), anything else is proxied as TCP. `tcp`: per connection only.
   */
  mode: 'auto' | 'tcp';
  upstreams: GatewayUpstream[];
  /** HTTP path probed on each replica; any answer below 500 is healthy. Default: TCP connect probe. */
  healthPath?: string;
}

export interface GatewayConfig {
  listeners: GatewayListener[];
  /** How often each replica is probed. Default 500 ms. */
  probeIntervalMs?: number;
  /** Give up connecting to a replica after this long and try the next. Default 1000 ms. */
  connectTimeoutMs?: number;
  /** Interface to listen on. Default all (`0.0.0.0`). */
  host?: string;
}

export interface GatewayHandle {
  /** Resolves once every listener is bound. */
  ready: Promise<void>;
  /** Stop probing, close listeners and drop every connection. */
  close(): Promise<void>;
  /** The bound ports, in listener order (useful with port 0). */
  ports(): number[];
}

type Loader = (id: string) => unknown;

export function gatewayMain(config: GatewayConfig, load: Loader): GatewayHandle {
  const http = load('node:http') as typeof import('node:http');
  const net = load('node:net') as typeof import('node:net');
  const dns = load('node:dns') as typeof import('node:dns');
  const probeIntervalMs = config.probeIntervalMs ?? 500;
  const connectTimeoutMs = config.connectTimeoutMs ?? 1000;
  const log = (msg: string) => process.stdout.write(`gateway: ${msg}\n`);
  const timers: NodeJS.Timeout[] = [];
  const servers: import('node:net').Server[] = [];
  const sockets = new Set<import('node:net').Socket>();
  let closing = false;

  interface Upstream {
    name: string;
    host: string;
    port: number;
    address?: string;
    healthy: boolean;
    agent: import('node:http').Agent;
  }

  const newAgent = () => new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64 });

  function setHealth(u: Upstream, healthy: boolean, why: string) {
    if (u.healthy === healthy) return;
    u.healthy = healthy;
    log(`${u.name} ${healthy ? 'up' : `down (${why})`}`);
    if (!healthy) {
      // Drop pooled keep-alive sockets: a dead replica's sockets may never error on their own.
      u.agent.destroy();
      u.agent = newAgent();
    }
  }

  /** Connect with a deadline, to the last address the probe resolved (no DNS on the hot path). */
  function connect(u: Upstream, onDone: (err: Error | null, socket?: import('node:net').Socket) => void) {
    const socket = net.connect({ host: u.address ?? u.host, port: u.port });
    let connected = false;
    const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), connectTimeoutMs);
    socket.once('connect', () => {
      connected = true;
      clearTimeout(timer);
      socket.setNoDelay(true);
      onDone(null, socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      if (!connected) onDone(err);
    });
  }

  function probe(u: Upstream, healthPath: string | undefined) {
    dns.lookup(u.host, { family: 4 }, (lookupErr, address) => {
      if (closing) return;
      if (lookupErr) return setHealth(u, false, lookupErr.code ?? lookupErr.message);
      u.address = address;
      if (!healthPath) {
        connect(u, (err, socket) => {
          socket?.destroy();
          setHealth(u, !err, err?.message ?? '');
        });
        return;
      }
      const req = http.get(
        { host: address, port: u.port, path: healthPath, timeout: connectTimeoutMs, agent: false },
        (res) => {
          res.resume();
          setHealth(u, (res.statusCode ?? 500) < 500, `HTTP ${res.statusCode}`);
        },
      );
      req.on('timeout', () => req.destroy(new Error('probe timeout')));
      req.on('error', (err) => setHealth(u, false, err.message));
    });
  }

  /** Round robin over healthy replicas not yet tried; when none is healthy, try the rest anyway. */
  function picker(upstreams: Upstream[]) {
    let next = 0;
    return (tried: Set<Upstream>): Upstream | undefined => {
      for (const wantHealthy of [true, false]) {
        for (let i = 0; i < upstreams.length; i++) {
          const u = upstreams[(next + i) % upstreams.length]!;
          if (tried.has(u) || u.healthy !== wantHealthy) continue;
          next = (next + i + 1) % upstreams.length;
          return u;
        }
      }
      return undefined;
    };
  }

  const HOP_BY_HOP = new Set([
    'connection',
    'keep-alive',
    'proxy-connection',
    'transfer-encoding',
    'upgrade',
  ]);

  function httpHandler(pick: ReturnType<typeof picker>) {
    return (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      const hasBody =
        Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
      const headers: Record<string, string | string[] | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
      const peer = req.socket.remoteAddress ?? '';
      headers['x-forwarded-for'] = headers['x-forwarded-for']
        ? `${headers['x-forwarded-for']}, ${peer}`
        : peer;
      const tried = new Set<Upstream>();
      let current: import('node:http').ClientRequest | undefined;
      const attempt = () => {
        const u = pick(tried);
        if (!u) {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('no healthy replica\n');
          return;
        }
        tried.add(u);
        const preq = http.request({
          host: u.address ?? u.host,
          port: u.port,
          method: req.method,
          path: req.url,
          headers,
          agent: u.agent,
        });
        current = preq;
        preq.on('socket', (s) => {
          if (!s.connecting) return;
          const t = setTimeout(() => preq.destroy(new Error('connect timeout')), connectTimeoutMs);
          s.once('connect', () => clearTimeout(t));
          s.once('close', () => clearTimeout(t));
        });
        preq.on('response', (pres) => {
          const out: Record<string, string | string[] | undefined> = {};
          for (const [k, v] of Object.entries(pres.headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
          res.writeHead(pres.statusCode ?? 502, pres.statusMessage, out);
          pres.pipe(res);
          pres.on('error', () => res.destroy());
        });
        preq.on('error', (err) => {
          if (res.headersSent) return void res.destroy();
          // Nothing reached the client yet. A request without a body is safe to send again to
          // the next replica; one whose body was already consumed is not.
          setHealth(u, false, err.message);
          if (!hasBody) return attempt();
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`replica failed: ${err.message}\n`);
        });
        if (hasBody) req.pipe(preq);
        else preq.end();
      };
      // The client went away before its answer was complete: stop the upstream request too.
      res.on('close', () => {
        if (!res.writableFinished) current?.destroy();
      });
      attempt();
    };
  }

  function tcpProxy(client: import('node:net').Socket, pick: ReturnType<typeof picker>) {
    const tried = new Set<Upstream>();
    client.pause();
    client.on('error', () => client.destroy());
    const attempt = () => {
      const u = pick(tried);
      if (!u) return void client.destroy();
      tried.add(u);
      connect(u, (err, upstream) => {
        if (err || !upstream) {
          setHealth(u, false, err?.message ?? 'connect failed');
          return attempt();
        }
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    attempt();
  }

  const listening: Promise<void>[] = [];
  for (const listener of config.listeners) {
    const upstreams: Upstream[] = listener.upstreams.map((u) => ({
      name: `${u.host}:${u.port}`,
      host: u.host,
      port: u.port,
      healthy: true,
      agent: newAgent(),
    }));
    const pick = picker(upstreams);
    const httpServer = http.createServer({ keepAliveTimeout: 5000 }, httpHandler(pick));
    httpServer.on('upgrade', (req, client: import('node:net').Socket, head: Buffer) => {
      // WebSocket and other upgrades: replay the request head to one replica, then splice bytes.
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      client.unshift(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), head]));
      tcpProxy(client, pick);
    });
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.setNoDelay(true);
      if (listener.mode === 'tcp') return tcpProxy(socket, pick);
      // Sniff the first bytes: an HTTP/1 request line goes to the HTTP balancer; anything else,
      // or silence (server-speaks-first protocols such as MySQL), is proxied as TCP.
      const silence = setTimeout(() => {
        socket.removeListener('data', first);
        tcpProxy(socket, pick);
      }, 300);
      const first = (chunk: Buffer) => {
        clearTimeout(silence);
        socket.pause();
        if (/^[A-Z]{3,10} \S+ HTTP\/1\.[01]\r?\n?/.test(chunk.subarray(0, 64).toString('latin1'))) {
          // The HTTP server parses straight from the socket handle, so bytes put back with
          // unshift() would be lost; hand it the sniffed chunk as a data event instead.
          httpServer.emit('connection', socket);
          socket.emit('data', chunk);
          socket.resume();
        } else {
          socket.unshift(chunk);
          tcpProxy(socket, pick);
        }
      };
      socket.once('data', first);
      socket.on('error', () => socket.destroy());
    });
    servers.push(server);
    listening.push(
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listener.port, config.host ?? '0.0.0.0', () => {
          log(`listening on :${listener.port} → ${upstreams.map((u) => u.name).join(', ')}`);
          resolve();
        });
      }),
    );
    for (const u of upstreams) {
      probe(u, listener.healthPath);
      const t = setInterval(() => probe(u, listener.healthPath), probeIntervalMs);
      timers.push(t);
    }
    servers.push(httpServer as unknown as import('node:net').Server);
  }

  const close = async () => {
    closing = true;
    for (const t of timers) clearInterval(t);
    for (const s of sockets) s.destroy();
    await Promise.all(
      servers.map(
        (s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())),
      ),
    );
  };
  const ports = () =>
    servers.filter((s) => !(s instanceof http.Server)).map((s) => (s.address() as { port: number }).port);
  return { ready: Promise.all(listening).then(() => undefined), close, ports };
}

/** The container command that runs the gateway with `config` (passed through the environment). */
export function gatewayCommand(): string[] {
  const script = [
    // Some TypeScript runners (tsx/esbuild keepNames) wrap functions in `__name(...)` calls.
    'var __name = (f) => f;',
    `const gateway = (${gatewayMain.toString()})(JSON.parse(process.env.SHIPSHAPE_GATEWAY), require);`,
    `for (const s of ['SIGTERM', 'SIGINT']) process.once(s, () => gateway.close().then(() => process.exit(0)));`,
  ].join('\n');
  return ['node', '-e', script];
}
