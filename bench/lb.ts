/**
 * Load balancer benchmark: requests/s and latency through shipshape's gateway (Node `--lb http`,
 * `--lb tcp`, and nginx `--lb nginx`) versus straight to one replica, with wrk (Debian's `wrk`
 * package). Bounded: one 10 s run per path plus a warm-up run each.
 *
 *   npx tsx bench/lb.ts            # writes bench/results/lb.json and lb.md
 *
 * Both paths cross the same docker-proxy/NAT hop for a port published on 127.0.0.1; the direct
 * target is a throwaway container of the same image, limits and hardening as a replica.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LABELS, engine, removeByLabel } from '../src/engine/client.js';
import { loadApp } from '../src/model/load.js';
import { down, ps } from '../src/local/ops.js';
import { up } from '../src/local/up.js';
import { gatewayCommand } from '../src/local/gateway.js';

const root = path.resolve(import.meta.dirname, '..');
const DURATION = process.env.BENCH_DURATION ?? '10s';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

function wrk(url: string): WrkResult {
  const out = execFileSync('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency', url], {
    encoding: 'utf8',
  });
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]),
    p50Ms: toMs(/ 50%\s+(\S+)/.exec(out)![1]!),
    p99Ms: toMs(/ 99%\s+(\S+)/.exec(out)![1]!),
    errors: Number(errors) + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
  };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * The same gateway code and hello server as plain host processes (no containers, no bridges),
 * to separate the gateway's own cost from the cost of the extra hop through Docker networking.
 */
async function onHost(): Promise<{ direct: WrkResult; http: WrkResult; tcp: WrkResult }> {
  const children: ChildProcess[] = [];
  const start = async (args: string[], env: Record<string, string>, ready: string) => {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    await new Promise<void>((resolve) =>
      child.stdout!.on('data', (d: Buffer) => d.toString().includes(ready) && resolve()),
    );
    return child;
  };
  try {
    const server = path.join(root, 'examples/hello-lb/server.js');
    const [p1, p2] = [await freePort(), await freePort()];
    await start([server], { PORT: String(p1), SHIPSHAPE_REPLICA: '1' }, 'listening');
    await start([server], { PORT: String(p2), SHIPSHAPE_REPLICA: '2' }, 'listening');
    const gateway = async (mode: 'auto' | 'tcp') => {
      const port = await freePort();
      const config = {
        host: '127.0.0.1',
        listeners: [
          {
            port,
            mode,
            healthPath: '/healthz',
            upstreams: [p1, p2].map((p) => ({ host: '127.0.0.1', port: p })),
          },
        ],
      };
      const child = await start(
        gatewayCommand().slice(1),
        { SHIPSHAPE_GATEWAY: JSON.stringify(config) },
        'listening',
      );
      return {
        port,
        stop: async () => {
          child.kill();
          await once(child, 'exit');
        },
      };
    };
    wrk(`http://127.0.0.1:${p1}/`);
    const direct = wrk(`http://127.0.0.1:${p1}/`);
    const results: WrkResult[] = [];
    for (const mode of ['auto', 'tcp'] as const) {
      const g = await gateway(mode);
      wrk(`http://127.0.0.1:${g.port}/`);
      results.push(wrk(`http://127.0.0.1:${g.port}/`));
      await g.stop();
    }
    return { direct, http: results[0]!, tcp: results[1]! };
  } finally {
    for (const c of children) c.kill();
  }
}

async function main() {
  const loadBefore = os.loadavg();
  const docker = engine();
  // The model is frozen: run a copy under a bench name, its host port left to the engine.
  const app = structuredClone(loadApp([], { cwd: path.join(root, 'examples/hello-lb'), env: {} }));
  app.name = `bench-lb-${process.pid}`;
  for (const s of app.services) for (const p of s.ports) p.published = undefined;
  const benchLabels = { [LABELS.app]: app.name, [LABELS.role]: 'bench' };
  try {
    process.stderr.write('starting hello-lb (2 replicas behind the gateway)…\n');
    await up(app, { onProgress: (m) => process.stderr.write(`  ${m}\n`) });
    const lbPort = Number(/:(\d+)->/.exec((await ps(app)).find((r) => r.replica === 'lb')!.ports[0]!)![1]);

    // The direct target: one replica's exact create spec, published on 127.0.0.1.
    const replica = await docker.getContainer(`${app.name}-hello-1`).inspect();
    const direct = await docker.createContainer({
      Image: replica.Config.Image,
      Env: replica.Config.Env,
      User: replica.Config.User,
      Labels: { ...benchLabels, [LABELS.managed]: 'true' },
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: {
        ...replica.HostConfig,
        NetworkMode: 'bridge',
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      },
    });
    await direct.start();
    const directPort = Number((await direct.inspect()).NetworkSettings.Ports['8080/tcp']![0]!.HostPort);
    await new Promise((r) => setTimeout(r, 1500));

    process.stderr.write(`wrk ${DURATION}, ${CONNECTIONS} connections: direct…\n`);
    wrk(`http://127.0.0.1:${directPort}/`); // warm-up (JIT, pools), result discarded
    const directResult = wrk(`http://127.0.0.1:${directPort}/`);
    process.stderr.write('… through the gateway (per-request HTTP balancing, the default)\n');
    wrk(`http://127.0.0.1:${lbPort}/`);
    const lbResult = wrk(`http://127.0.0.1:${lbPort}/`);

    // Same app with `--lb tcp`: reconcile recreates only the gateway.
    await up(app, { lbMode: 'tcp' });
    const tcpPort = Number(/:(\d+)->/.exec((await ps(app)).find((r) => r.replica === 'lb')!.ports[0]!)![1]);
    await new Promise((r) => setTimeout(r, 1000));
    process.stderr.write('… through the gateway (--lb tcp, per connection)\n');
    wrk(`http://127.0.0.1:${tcpPort}/`);
    const tcpResult = wrk(`http://127.0.0.1:${tcpPort}/`);

    // Same app with `--lb nginx` (nginx:stable-bookworm): again only the gateway is recreated.
    await up(app, { lbMode: 'nginx' });
    const nginxPort = Number(/:(\d+)->/.exec((await ps(app)).find((r) => r.replica === 'lb')!.ports[0]!)![1]);
    await new Promise((r) => setTimeout(r, 1000));
    process.stderr.write('… through the nginx gateway (--lb nginx, per request)\n');
    wrk(`http://127.0.0.1:${nginxPort}/`);
    const nginxResult = wrk(`http://127.0.0.1:${nginxPort}/`);

    process.stderr.write('the same gateway and server as host processes…\n');
    const host = await onHost();

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model },
      loadAverage: { before: loadBefore, after: os.loadavg() },
      tool: `wrk -t2 -c${CONNECTIONS} -d${DURATION} --latency`,
      setup:
        'hello-lb: replicas limited to 0.5 CPU / 128 MiB each (from its compose file); gateway unlimited CPU. Direct = one replica.',
      direct: directResult,
      gateway: lbResult,
      throughputRatio: Number((lbResult.requestsPerSecond / directResult.requestsPerSecond).toFixed(3)),
      addedP99Ms: Number((lbResult.p99Ms - directResult.p99Ms).toFixed(3)),
      gatewayTcp: tcpResult,
      tcpThroughputRatio: Number((tcpResult.requestsPerSecond / directResult.requestsPerSecond).toFixed(3)),
      tcpAddedP99Ms: Number((tcpResult.p99Ms - directResult.p99Ms).toFixed(3)),
      gatewayNginx: nginxResult,
      nginxThroughputRatio: Number(
        (nginxResult.requestsPerSecond / directResult.requestsPerSecond).toFixed(3),
      ),
      nginxAddedP99Ms: Number((nginxResult.p99Ms - directResult.p99Ms).toFixed(3)),
      targets: { throughputRatioAtLeast: 0.7, addedP99MsAtMost: 3 },
      hostProcesses: {
        note: 'no containers: hello server and gateway as plain processes, no CPU limits',
        ...host,
        httpThroughputRatio: Number((host.http.requestsPerSecond / host.direct.requestsPerSecond).toFixed(3)),
        tcpThroughputRatio: Number((host.tcp.requestsPerSecond / host.direct.requestsPerSecond).toFixed(3)),
      },
    };
    const dir = path.join(root, 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'lb.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(
      path.join(dir, 'lb.md'),
      `# Load balancer benchmark (${result.date.slice(0, 10)})

${result.tool}, ${result.machine.cpus} CPUs. ${result.setup}

**Shared machine:** other work may share the 2 cores; the load average
(1/5/15 min) was ${loadBefore.map((l) => l.toFixed(1)).join(' / ')} at the start and
${result.loadAverage.after.map((l) => l.toFixed(1)).join(' / ')} at the end. Absolute requests/s
are far below a quiet machine's (wrk, the replicas and the gateway all compete for the cores);
compare the ratios, which were measured under the same load in one run.

| path | requests/s | p50 ms | p99 ms | errors |
| --- | ---: | ---: | ---: | ---: |
| direct to one replica | ${directResult.requestsPerSecond.toFixed(0)} | ${directResult.p50Ms} | ${directResult.p99Ms} | ${directResult.errors} |
| gateway, \`--lb http\` (default, per request) | ${lbResult.requestsPerSecond.toFixed(0)} | ${lbResult.p50Ms} | ${lbResult.p99Ms} | ${lbResult.errors} |
| gateway, \`--lb tcp\` (per connection) | ${tcpResult.requestsPerSecond.toFixed(0)} | ${tcpResult.p50Ms} | ${tcpResult.p99Ms} | ${tcpResult.errors} |
| nginx gateway, \`--lb nginx\` (per request) | ${nginxResult.requestsPerSecond.toFixed(0)} | ${nginxResult.p50Ms} | ${nginxResult.p99Ms} | ${nginxResult.errors} |

Targets: throughput ≥ 0.7 × direct, p99 ≤ direct + 3 ms.
- \`--lb http\`: ratio ${result.throughputRatio}, added p99 ${result.addedP99Ms} ms.
- \`--lb tcp\`: ratio ${result.tcpThroughputRatio}, added p99 ${result.tcpAddedP99Ms} ms.
- \`--lb nginx\`: ratio ${result.nginxThroughputRatio}, added p99 ${result.nginxAddedP99Ms} ms.

The same gateway code and server as plain host processes (no containers, no CPU limits), to
separate the gateway's own cost from Docker networking's:

| path | requests/s | p50 ms | p99 ms |
| --- | ---: | ---: | ---: |
| direct to one server | ${host.direct.requestsPerSecond.toFixed(0)} | ${host.direct.p50Ms} | ${host.direct.p99Ms} |
| gateway, http | ${host.http.requestsPerSecond.toFixed(0)} | ${host.http.p50Ms} | ${host.http.p99Ms} |
| gateway, tcp | ${host.tcp.requestsPerSecond.toFixed(0)} | ${host.tcp.p50Ms} | ${host.tcp.p99Ms} |
`,
    );
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await removeByLabel(benchLabels);
    await down(app);
    for (const img of await docker.listImages({
      filters: JSON.stringify({ label: [`${LABELS.app}=${app.name}`] }),
    })) {
      await docker
        .getImage(img.Id)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
}

await main();
