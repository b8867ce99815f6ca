/**
 * The embedded load balancer ("gateway") that `shipshape up` puts in front of every service that
 * is public or has callers. It runs as `node -e` inside a stock Node image, so it needs no image
 * of its own, works offline, and is the same code on every machine.
 *
 * Why hand-written: it is ~250 lines over node:http/node:net/node:dgram, and what it must do —
 * per-request round robin for HTTP, plain TCP for everything else on the same port, UDP sessions,
 * active health probes, passive fail-over without failing a request — is exactly the part a
 * generic proxy library would still leave to us; nginx needs an image we cannot assume is present, so it is the opt-in
 * `--lb nginx` (nginx.ts), which renders the same GatewayConfig as an nginx.conf.
 *
 * The functions below are serialised with `Function.prototype.toString` into the container's
 * script (`gatewayCommand`), so each may reference only its parameters and the other gateway
 * functions, never anything else of this module: modules come in through `load` (the
 * container's `require`) and shared state travels in one `Gateway` object.
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
   * `udp`: datagrams, each client pinned to one replica for as long as it keeps talking.
   */
  mode: 'auto' | 'tcp' | 'udp';
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
  /**
   * How long a request without a body is tried again, round after round, when every replica failed
   * before answering; then 502. Default 2000 ms.
   */
  retryWindowMs?: number;
  /** A UDP client silent this long is forgotten (its next datagram may go to another replica). Default 60 s. */
  udpIdleMs?: number;
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
type Socket = import('node:net').Socket;
type Server = import('node:net').Server;
type Datagram = import('node:dgram').Socket;
type IncomingMessage = import('node:http').IncomingMessage;
type ServerResponse = import('node:http').ServerResponse;

/** One replica behind a listener, with what the probes last found. */
interface Upstream {
  name: string;
  host: string;
  port: number;
  /** The address the last probe resolved `host` to (no DNS on the hot path). */
  address?: string;
  healthy: boolean;
  agent: import('node:http').Agent;
}

/** Picks the next replica for a request or connection, skipping those already tried. */
type Pick = (tried: Set<Upstream>) => Upstream | undefined;

/** The running gateway's modules, settings and live state, shared by the functions below. */
interface Gateway {
  http: typeof import('node:http');
  net: typeof import('node:net');
  dns: typeof import('node:dns');
  dgram: typeof import('node:dgram');
  probeIntervalMs: number;
  connectTimeoutMs: number;
  retryWindowMs: number;
  udpIdleMs: number;
  /** Headers that belong to one connection and are never forwarded. */
  hopByHop: Set<string>;
  timers: NodeJS.Timeout[];
  servers: Server[];
  sockets: Set<Socket>;
  /** UDP listeners and the per-client sockets towards replicas. */
  datagrams: Set<Datagram>;
  /** Each listener's bound port, in listener order. */
  boundPorts: (() => number)[];
  closing: boolean;
}

export function gatewayMain(config: GatewayConfig, load: Loader): GatewayHandle {
  const gw: Gateway = {
    http: load('node:http') as typeof import('node:http'),
    net: load('node:net') as typeof import('node:net'),
    dns: load('node:dns') as typeof import('node:dns'),
    dgram: load('node:dgram') as typeof import('node:dgram'),
    probeIntervalMs: config.probeIntervalMs ?? 500,
    connectTimeoutMs: config.connectTimeoutMs ?? 1000,
    retryWindowMs: config.retryWindowMs ?? 2000,
    udpIdleMs: config.udpIdleMs ?? 60_000,
    hopByHop: new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']),
    timers: [],
    servers: [],
    sockets: new Set(),
    datagrams: new Set(),
    boundPorts: [],
    closing: false,
  };
  const listening = config.listeners.map((l) => startListener(gw, l, config.host ?? '0.0.0.0'));
  return {
    ready: Promise.all(listening).then(() => undefined),
    close: () => closeGateway(gw),
    ports: () => gw.boundPorts.map((port) => port()),
  };
}

function gatewayLog(msg: string): void {
  process.stdout.write(`gateway: ${msg}\n`);
}

function newAgent(gw: Gateway): import('node:http').Agent {
  return new gw.http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 64 });
}

function setHealth(gw: Gateway, u: Upstream, healthy: boolean, why: string): void {
  if (u.healthy === healthy) return;
  u.healthy = healthy;
  gatewayLog(`${u.name} ${healthy ? 'up' : `down (${why})`}`);
  if (!healthy) {
    // Drop pooled keep-alive sockets: a dead replica's sockets may never error on their own.
    u.agent.destroy();
    u.agent = newAgent(gw);
  }
}

/** Connect with a deadline, to the last address the probe resolved. */
function connectUpstream(
  gw: Gateway,
  u: Upstream,
  onDone: (err: Error | null, socket?: Socket) => void,
): void {
  const socket = gw.net.connect({ host: u.address ?? u.host, port: u.port });
  let connected = false;
  const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), gw.connectTimeoutMs);
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

/**
 * Resolve the replica's name, then check it: HTTP on the health path, else a TCP connect. UDP has
 * no handshake to probe, so a UDP replica whose name resolves counts as up.
 */
function probeUpstream(gw: Gateway, u: Upstream, listener: GatewayListener): void {
  const healthPath = listener.healthPath;
  gw.dns.lookup(u.host, { family: 4 }, (lookupErr, address) => {
    if (gw.closing) return;
    if (lookupErr) return setHealth(gw, u, false, lookupErr.code ?? lookupErr.message);
    u.address = address;
    if (listener.mode === 'udp') return setHealth(gw, u, true, '');
    if (!healthPath) {
      connectUpstream(gw, u, (err, socket) => {
        socket?.destroy();
        setHealth(gw, u, !err, err?.message ?? '');
      });
      return;
    }
    const req = gw.http.get(
      { host: address, port: u.port, path: healthPath, timeout: gw.connectTimeoutMs, agent: false },
      (res) => {
        res.resume();
        setHealth(gw, u, (res.statusCode ?? 500) < 500, `HTTP ${res.statusCode}`);
      },
    );
    req.on('timeout', () => req.destroy(new Error('probe timeout')));
    req.on('error', (err) => setHealth(gw, u, false, err.message));
  });
}

/** Round robin over healthy replicas not yet tried; when none is healthy, try the rest anyway. */
function roundRobin(upstreams: Upstream[]): Pick {
  let next = 0;
  return (tried) => {
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

/**
 * The request's headers as they came (raw name/value pairs: Node then builds no header object on
 * either side, and names keep the client's spelling) minus hop-by-hop ones, with the client added
 * to `x-forwarded-for`; and whether a body follows.
 */
function forwardedHeaders(
  gw: Gateway,
  req: IncomingMessage,
): { headers: string[]; hasBody: boolean; hasHost: boolean } {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  let forwardedFor: string | undefined;
  let hasBody = false;
  let hasHost = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === 'content-length') hasBody ||= Number(value) > 0;
    else if (name === 'transfer-encoding') hasBody = true;
    else if (name === 'host') hasHost = true;
    if (gw.hopByHop.has(name)) continue;
    if (name === 'x-forwarded-for') forwardedFor = forwardedFor ? `${forwardedFor}, ${value}` : value;
    else headers.push(raw[i]!, value);
  }
  const peer = req.socket.remoteAddress ?? '';
  headers.push('X-Forwarded-For', forwardedFor ? `${forwardedFor}, ${peer}` : peer);
  return { headers, hasBody, hasHost };
}

/** The upstream's response headers as they came, minus hop-by-hop ones. */
function relayedHeaders(gw: Gateway, pres: IncomingMessage): string[] {
  const raw = pres.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2)
    if (!gw.hopByHop.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  return out;
}

/** Per-request balancing: each request goes to the next replica, retried elsewhere when safe. */
function httpHandler(gw: Gateway, pick: Pick) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const { headers, hasBody, hasHost } = forwardedHeaders(gw, req);
    const tried = new Set<Upstream>();
    let current: import('node:http').ClientRequest | undefined;
    const retryUntil = Date.now() + gw.retryWindowMs;
    let retry: NodeJS.Timeout | undefined;
    const attempt = (): void => {
      if (res.destroyed) return; // the client went away (or the gateway closed) meanwhile
      const u = pick(tried);
      if (!u && !hasBody && tried.size > 0 && Date.now() < retryUntil) {
        // Every replica failed before answering; one may be (re)starting, or its first connect
        // was lost. Try them all again shortly while the window lasts, rather than fail at once.
        tried.clear();
        retry = setTimeout(attempt, 100);
        return;
      }
      if (!u) {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('no healthy replica\n');
        return;
      }
      tried.add(u);
      // An HTTP/1.0 client may send no Host; the replica's HTTP/1.1 server may require one.
      const sent = hasHost ? headers : [...headers, 'Host', `${u.host}:${u.port}`];
      current = proxyRequest(gw, u, req, res, sent, (err) => {
        // Nothing reached the client yet. A request without a body is safe to send again to
        // the next replica; one whose body was already consumed is not.
        setHealth(gw, u, false, err.message);
        if (!hasBody) return attempt();
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`replica failed: ${err.message}\n`);
      });
      if (hasBody) req.pipe(current);
      else current.end();
    };
    // The client went away before its answer was complete: stop the upstream request too.
    res.on('close', () => {
      clearTimeout(retry);
      if (!res.writableFinished) current?.destroy();
    });
    attempt();
  };
}

/** Send one request to `u` and relay its answer; `onFailure` when it failed before any answer. */
function proxyRequest(
  gw: Gateway,
  u: Upstream,
  req: IncomingMessage,
  res: ServerResponse,
  headers: string[],
  onFailure: (err: Error) => void,
): import('node:http').ClientRequest {
  const preq = gw.http.request({
    host: u.address ?? u.host,
    port: u.port,
    method: req.method,
    path: req.url,
    headers,
    agent: u.agent,
  });
  preq.on('socket', (s) => {
    if (!s.connecting) return;
    const t = setTimeout(() => preq.destroy(new Error('connect timeout')), gw.connectTimeoutMs);
    s.once('connect', () => clearTimeout(t));
    s.once('close', () => clearTimeout(t));
  });
  preq.on('response', (pres) => {
    res.writeHead(pres.statusCode ?? 502, pres.statusMessage, relayedHeaders(gw, pres));
    pres.pipe(res);
    pres.on('error', () => res.destroy());
  });
  preq.on('error', (err) => {
    if (res.headersSent) return void res.destroy();
    onFailure(err);
  });
  return preq;
}

/** Per-connection balancing: splice the client to the first replica that accepts. */
function tcpProxy(gw: Gateway, client: Socket, pick: Pick): void {
  const tried = new Set<Upstream>();
  client.pause();
  client.on('error', () => client.destroy());
  const attempt = () => {
    const u = pick(tried);
    if (!u) return void client.destroy();
    tried.add(u);
    connectUpstream(gw, u, (err, upstream) => {
      if (err || !upstream) {
        setHealth(gw, u, false, err?.message ?? 'connect failed');
        return attempt();
      }
      gw.sockets.add(upstream);
      upstream.on('close', () => gw.sockets.delete(upstream));
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

/**
 * Sniff the first bytes: an HTTP/1 request line goes to the HTTP balancer; anything else, or
 * silence (server-speaks-first protocols such as MySQL), is proxied as TCP.
 */
function sniffProtocol(
  gw: Gateway,
  socket: Socket,
  httpServer: import('node:http').Server,
  pick: Pick,
): void {
  const silence = setTimeout(() => {
    socket.removeListener('data', first);
    tcpProxy(gw, socket, pick);
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
      tcpProxy(gw, socket, pick);
    }
  };
  socket.once('data', first);
  socket.on('error', () => socket.destroy());
}

/** An HTTP server whose requests are balanced, and whose upgrades (WebSocket) are spliced as TCP. */
function balancingHttpServer(gw: Gateway, pick: Pick): import('node:http').Server {
  const httpServer = gw.http.createServer({ keepAliveTimeout: 5000 }, httpHandler(gw, pick));
  httpServer.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    // Replay the request head to one replica, then splice bytes.
    const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    client.unshift(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), head]));
    tcpProxy(gw, client, pick);
  });
  return httpServer;
}

/**
 * UDP: each client address gets its own socket towards the replica it was first sent to, so the
 * replica's answers go back to that client; a client silent for `udpIdleMs` is forgotten.
 */
function udpListener(gw: Gateway, pick: Pick): Datagram {
  const server = gw.dgram.createSocket('udp4');
  const sessions = new Map<string, { socket: Datagram; upstream: Upstream; idle?: NodeJS.Timeout }>();
  server.on('message', (datagram, client) => {
    const key = `${client.address}:${client.port}`;
    let session = sessions.get(key);
    if (!session) {
      const upstream = pick(new Set());
      if (!upstream) return;
      const socket = gw.dgram.createSocket('udp4');
      gw.datagrams.add(socket);
      const created = { socket, upstream, idle: undefined as NodeJS.Timeout | undefined };
      socket.on('message', (reply) => server.send(reply, client.port, client.address));
      socket.on('error', () => socket.close());
      socket.on('close', () => {
        clearTimeout(created.idle);
        gw.datagrams.delete(socket);
        sessions.delete(key);
      });
      sessions.set(key, created);
      session = created;
    }
    const open = session;
    clearTimeout(open.idle);
    open.idle = setTimeout(() => open.socket.close(), gw.udpIdleMs);
    open.socket.send(datagram, open.upstream.port, open.upstream.address ?? open.upstream.host);
  });
  server.on('error', (err) => gatewayLog(`udp: ${err.message}`));
  return server;
}

/** Bind a UDP listener; resolves once bound. */
function listenUdp(gw: Gateway, listener: GatewayListener, host: string, pick: Pick): Promise<void> {
  const server = udpListener(gw, pick);
  gw.datagrams.add(server);
  gw.boundPorts.push(() => server.address().port);
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.bind(listener.port, host, () => resolve());
  });
}

/** Listen on one port, probe its replicas; resolves once bound. */
function startListener(gw: Gateway, listener: GatewayListener, host: string): Promise<void> {
  const upstreams: Upstream[] = listener.upstreams.map((u) => ({
    name: `${u.host}:${u.port}`,
    host: u.host,
    port: u.port,
    healthy: true,
    agent: newAgent(gw),
  }));
  const pick = roundRobin(upstreams);
  for (const u of upstreams) {
    probeUpstream(gw, u, listener);
    gw.timers.push(setInterval(() => probeUpstream(gw, u, listener), gw.probeIntervalMs));
  }
  const logListening = () =>
    gatewayLog(
      `listening on :${listener.port}${listener.mode === 'udp' ? '/udp' : ''} → ${upstreams.map((u) => u.name).join(', ')}`,
    );
  if (listener.mode === 'udp') return listenUdp(gw, listener, host, pick).then(logListening);
  const httpServer = balancingHttpServer(gw, pick);
  const server = gw.net.createServer((socket) => {
    gw.sockets.add(socket);
    socket.on('close', () => gw.sockets.delete(socket));
    socket.setNoDelay(true);
    if (listener.mode === 'tcp') return tcpProxy(gw, socket, pick);
    sniffProtocol(gw, socket, httpServer, pick);
  });
  gw.servers.push(server, httpServer as unknown as Server);
  gw.boundPorts.push(() => (server.address() as { port: number }).port);
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listener.port, host, () => {
      logListening();
      resolve();
    });
  });
}

/** Stop probing, close listeners and drop every connection. */
async function closeGateway(gw: Gateway): Promise<void> {
  gw.closing = true;
  for (const t of gw.timers) clearInterval(t);
  for (const s of gw.sockets) s.destroy();
  for (const d of gw.datagrams) {
    try {
      d.close();
    } catch {
      // never bound (its bind failed) or already closed: nothing to release
    }
  }
  await Promise.all(
    gw.servers.map(
      (s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())),
    ),
  );
}

/** Everything the container's script defines, in one list so none is forgotten. */
const GATEWAY_FUNCTIONS = [
  gatewayMain,
  gatewayLog,
  newAgent,
  setHealth,
  connectUpstream,
  probeUpstream,
  roundRobin,
  forwardedHeaders,
  relayedHeaders,
  httpHandler,
  proxyRequest,
  tcpProxy,
  sniffProtocol,
  balancingHttpServer,
  udpListener,
  listenUdp,
  startListener,
  closeGateway,
];

/**
 * Whether a gateway's output says it balances: every listener bound, and no replica behind a
 * health-probed listener whose last health change was `down` (replicas start out up; a probe
 * that ran before a replica listened marks it down until the next one, and until then every
 * request would go to the replicas it has seen). Listeners without a health path (TCP, debug
 * ports) are not waited for: nothing may be listening there yet, or ever.
 */
export function gatewayBalancing(log: string, config: GatewayConfig): boolean {
  const lines = log.split('\n');
  if (lines.filter((l) => l.includes('gateway: listening on')).length < config.listeners.length) return false;
  const probed = new Set(
    config.listeners
      .filter((l) => l.healthPath)
      .flatMap((l) => l.upstreams.map((u) => `${u.host}:${u.port}`)),
  );
  const last = new Map<string, string>();
  for (const l of lines) {
    const m = /gateway: (\S+) (up|down)\b/.exec(l);
    if (m && probed.has(m[1]!)) last.set(m[1]!, m[2]!);
  }
  return ![...last.values()].includes('down');
}

/** The container command that runs the gateway with `config` (passed through the environment). */
export function gatewayCommand(): string[] {
  const script = [
    // Some TypeScript runners (tsx/esbuild keepNames) wrap functions in `__name(...)` calls.
    'var __name = (f) => f;',
    ...GATEWAY_FUNCTIONS.map((f) => f.toString()),
    `const gateway = gatewayMain(JSON.parse(process.env.SHIPSHAPE_GATEWAY), require);`,
    `for (const s of ['SIGTERM', 'SIGINT']) process.once(s, () => gateway.close().then(() => process.exit(0)));`,
  ].join('\n');
  return ['node', '-e', script];
}
