'use strict';
// web: the public UI. Renders a page that includes what the private API said,
// fetched server-side from API_URL. Node built-ins only.
const http = require('node:http');

const PORT = Number(process.env.PORT || 8080);
const API_URL = process.env.API_URL || 'http://api:5000';
const API_TIMEOUT_MS = Number(process.env.API_TIMEOUT_MS || 2000);

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// GET API_URL/ and resolve to { ok, status?, body?, error? } (never rejects).
function askApi() {
  return new Promise((resolve) => {
    let settled = false;
    const done = (v) => {
      if (!settled) {
        settled = true;
        resolve(v);
      }
    };
    let req;
    try {
      req = http.get(new URL('/', API_URL), { timeout: API_TIMEOUT_MS }, (res) => {
        let raw = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          if (raw.length < 64 * 1024) raw += chunk;
        });
        res.on('end', () => {
          let body = raw;
          try {
            body = JSON.parse(raw);
          } catch {
            /* not JSON: keep the text */
          }
          done({ ok: res.statusCode === 200, status: res.statusCode, body });
        });
        res.on('error', (err) => done({ ok: false, error: err.message }));
      });
    } catch (err) {
      done({ ok: false, error: err.message });
      return;
    }
    req.on('timeout', () => req.destroy(new Error(`no answer within ${API_TIMEOUT_MS} ms`)));
    req.on('error', (err) => done({ ok: false, error: err.message }));
  });
}

function page(api) {
  const said = api.ok
    ? typeof api.body === 'object' && api.body !== null && 'message' in api.body
      ? api.body.message
      : JSON.stringify(api.body)
    : `(API unavailable: ${api.error || `HTTP ${api.status}`})`;
  const time = api.ok && api.body && api.body.time ? ` <small>at ${escapeHtml(api.body.time)}</small>` : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>web-api example</title></head>
<body>
<h1>Web UI</h1>
<p>API says: ${escapeHtml(said)}${time}</p>
</body>
</html>
`;
}

const server = http.createServer(async (req, res) => {
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
  if (path === '/api-status') {
    const api = await askApi();
    res.writeHead(api.ok ? 200 : 502, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ apiUrl: API_URL, ...api }) + '\n');
    return;
  }
  if (path === '/') {
    const api = await askApi();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(page(api));
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end('not found\n');
});

server.keepAliveTimeout = 5000;

server.listen(PORT, '0.0.0.0', () => {
  console.log(`web: listening on :${PORT}, API at ${API_URL}`);
});

function shutdown(signal) {
  console.log(`web: ${signal} received, closing`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
