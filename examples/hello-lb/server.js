'use strict';
// hello-lb: answers "Hello world — I'm container ONE" so you can watch a load
// balancer spread requests over the replicas. Node built-ins only.
const http = require('node:http');
const os = require('node:os');

const PORT = Number(process.env.PORT || 8080);
const NUMBER_WORDS = ['ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', 'SIX', 'SEVEN', 'EIGHT', 'NINE', 'TEN'];

function replicaName() {
  if (process.env.REPLICA_NAME) return process.env.REPLICA_NAME;
  const n = Number.parseInt(process.env.SHIPSHAPE_REPLICA || '', 10);
  if (n >= 1 && n <= NUMBER_WORDS.length) return NUMBER_WORDS[n - 1];
  if (process.env.SHIPSHAPE_REPLICA) return process.env.SHIPSHAPE_REPLICA;
  return os.hostname();
}

const NAME = replicaName();

const server = http.createServer((req, res) => {
  const path = (req.url || '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET, HEAD' });
    res.end('method not allowed\n');
    return;
  }
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end('ok');
    return;
  }
  if (path === '/') {
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'x-replica': encodeURIComponent(NAME),
    });
    res.end(`Hello world \u2014 I'm container ${NAME}\n`);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('not found\n');
});

// Short keep-alive so a draining replica lets its idle connections go quickly.
server.keepAliveTimeout = 5000;

server.listen(PORT, '0.0.0.0', () => {
  console.log(`hello-lb: container ${NAME} listening on :${PORT}`);
});

function shutdown(signal) {
  console.log(`hello-lb: ${signal} received, closing`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  // In-flight requests get a moment; then leave regardless.
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
