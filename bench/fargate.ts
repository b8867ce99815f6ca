/**
 * `shipshape up --fargate` beside `shipshape up` and Debian's docker-compose (1.29) on
 * examples/web-api, warm (images built, nothing running), time to healthy, interleaved: in every
 * round each of the three runs once, in an order that rotates between rounds, so load from other
 * work on this shared machine falls on all three. Bounded: BENCH_ROUNDS rounds (default 5), each
 * up capped at 180 s.
 *
 *   npx tsx bench/fargate.ts      # writes bench/results/fargate.json and fargate.md
 *
 * Both shipshape runs go through package.json's `bin` (`shipshape up -d [--fargate]`); the clock
 * stops when the CLI exits 0 (every service ready) and the bench then checks the web answers 200.
 * docker-compose runs `up -d --build` and is polled until every container is healthy. `--fargate`
 * also synthesizes the app (its task definitions are read from the CloudFormation templates) and
 * runs each task's init container first: what it costs over `up` is what the figures show.
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { engine } from '../src/engine/client.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const docker = engine();
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CLI = path.join(
  root,
  (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: { shipshape: string } }).bin
    .shipshape,
);
const TOOLS = ['up', 'upFargate', 'dockerCompose'] as const;
type Tool = (typeof TOOLS)[number];

function project(tmp: string) {
  const dir = path.join(tmp, 'web-api');
  cpSync(path.join(root, 'examples/web-api'), dir, { recursive: true });
  const doc = parse(readFileSync(path.join(dir, 'compose.yaml'), 'utf8')) as {
    'x-shipshape': { name: string };
    services: Record<string, { ports?: string[] }>;
  };
  const name = `bench-fargate-${process.pid}`;
  doc['x-shipshape'].name = name;
  // docker-compose needs free host ports too: ephemeral for every tool alike.
  for (const svc of Object.values(doc.services))
    if (svc.ports) svc.ports = svc.ports.map((p) => `127.0.0.1::${String(p).split(':').pop()}`);
  writeFileSync(path.join(dir, 'bench.compose.yaml'), stringify(doc));
  return { dir, name };
}

async function webPort(container: string): Promise<number> {
  const info = await docker.getContainer(container).inspect();
  return Number(info.NetworkSettings.Ports['8080/tcp']![0]!.HostPort);
}

async function answers(port: number): Promise<void> {
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
  if (status !== 200) throw new Error(`the web answered ${status}`);
}

async function composeHealthy(projectName: string, deadline: number): Promise<void> {
  for (;;) {
    const list = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`com.docker.compose.project=${projectName}`] }),
    });
    if (list.length > 0 && list.every((c) => c.State === 'running' && !/starting|unhealthy/.test(c.Status)))
      return;
    if (Date.now() > deadline) throw new Error('docker-compose project not healthy in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-fargate-'));
  const p = project(tmp);
  const composeProject = `benchfargate${process.pid}`;
  const shipshape = (...args: string[]) =>
    run(process.execPath, [CLI, '-q', '-f', 'bench.compose.yaml', ...args], { cwd: p.dir, timeout: 180_000 });
  const compose = (...args: string[]) =>
    run('docker-compose', ['-f', 'bench.compose.yaml', '-p', composeProject, ...args], {
      cwd: p.dir,
      timeout: 180_000,
    });
  const runs: Record<
    Tool,
    { up: () => Promise<unknown>; check: () => Promise<void>; down: () => Promise<unknown> }
  > = {
    up: {
      up: () => shipshape('up', '-d'),
      check: async () => answers(await webPort(`${p.name}-web-lb`)),
      down: () => shipshape('down', '-v'),
    },
    upFargate: {
      up: () => shipshape('up', '-d', '--fargate'),
      check: async () => answers(await webPort(`${p.name}-web-lb`)),
      down: () => shipshape('down', '-v'),
    },
    dockerCompose: {
      up: async () => {
        await compose('up', '-d', '--build');
        await composeHealthy(composeProject, Date.now() + 180_000);
      },
      check: async () => answers(await webPort(`${composeProject}_web_1`)),
      down: () => compose('down', '-v', '--timeout', '1'),
    },
  };
  const samples: Record<Tool, { seconds: number; load: number }[]> = {
    up: [],
    upFargate: [],
    dockerCompose: [],
  };
  try {
    // Warm: build every image once, for each tool.
    for (const t of TOOLS) {
      await runs[t].up();
      await runs[t].down();
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = TOOLS.map((_, i) => TOOLS[(i + round) % TOOLS.length]!);
      for (const t of order) {
        const load = os.loadavg()[0]!;
        const start = performance.now();
        await runs[t].up();
        const seconds = (performance.now() - start) / 1000;
        await runs[t].check();
        await runs[t].down();
        samples[t].push({ seconds: Math.round(seconds * 100) / 100, load: Math.round(load * 10) / 10 });
        process.stderr.write(`round ${round + 1} ${t}: ${seconds.toFixed(2)} s (load ${load.toFixed(1)})\n`);
      }
    }
  } finally {
    for (const t of TOOLS) await runs[t].down().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
  report(samples);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function report(samples: Record<Tool, { seconds: number; load: number }[]>): void {
  const out = path.join(root, 'bench/results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, 'fargate.json'),
    `${JSON.stringify({ date: new Date().toISOString(), rounds: ROUNDS, samples }, null, 2)}\n`,
  );
  const m = Object.fromEntries(TOOLS.map((t) => [t, median(samples[t].map((s) => s.seconds))])) as Record<
    Tool,
    number
  >;
  const loads = TOOLS.flatMap((t) => samples[t].map((s) => s.load));
  const lines = [
    '# `up --fargate` beside `up` and docker-compose (bench/fargate.ts)',
    '',
    `examples/web-api, warm (images built), time until every service is ready; ${ROUNDS} interleaved rounds, medians; load ${Math.min(...loads)}–${Math.max(...loads)}, ${os.cpus().length} cores, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| run | median | vs `up` | vs docker-compose |',
    '| --- | ---: | ---: | ---: |',
    `| \`shipshape up -d\` | ${m.up.toFixed(2)} s | 1.00× | ${(m.up / m.dockerCompose).toFixed(2)}× |`,
    `| \`shipshape up -d --fargate\` | ${m.upFargate.toFixed(2)} s | ${(m.upFargate / m.up).toFixed(2)}× | ${(m.upFargate / m.dockerCompose).toFixed(2)}× |`,
    `| \`docker-compose up -d --build\` (1.29) | ${m.dockerCompose.toFixed(2)} s | ${(m.dockerCompose / m.up).toFixed(2)}× | 1.00× |`,
    '',
    'Every sample (seconds): ' +
      TOOLS.map((t) => `${t} ${samples[t].map((s) => s.seconds).join(', ')}`).join('; ') +
      '.',
    '',
  ];
  writeFileSync(path.join(out, 'fargate.md'), lines.join('\n'));
  process.stdout.write(lines.join('\n'));
}

await main();
