/**
 * `shipshape up` time to healthy, cold and warm, beside Debian's docker-compose (1.29) on the
 * same compose file, for each example, interleaved: in every round both tools run each case, and
 * which tool goes first alternates between rounds, so load from other work on this shared
 * machine falls on both. Bounded: BENCH_ROUNDS rounds (default 3), each up capped at 180 s.
 *
 *   npx tsx bench/up.ts          # writes bench/results/up.json and up.md
 *
 * Both tools run as the command people type: `node dist/cli/main.js up -d` (built first) and
 * `docker-compose up -d --build`. The clock runs from launching the command until every service
 * is healthy:
 * - shipshape: until `up -d` exits 0, which it does once every container's own healthcheck
 *   command has passed (run by shipshape, docs/up.md); the bench then checks the public port
 *   answers 200, so "healthy" is not taken on trust;
 * - docker-compose: until the engine reports every container healthy (or running, without a
 *   healthcheck), polled every 100 ms after `up -d` returns.
 *
 * cold  = no app images, nothing running (base images present; the build runs every step).
 * warm  = app images built, nothing running.
 * again = everything running, nothing changed.
 * docker-compose cannot run 2 replicas on one fixed host port, so both tools get the published
 * ports made ephemeral (a copy of the compose file, written next to the original so build
 * contexts resolve, removed afterwards); nothing else differs.
 */
import { execFile, execFileSync } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { LABELS, engine } from '../src/engine/client.js';
import { down } from '../src/local/down.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const docker = engine();
const EXAMPLES = ['hello-lb', 'web-api'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CASES = ['cold', 'warm', 'again'] as const;
type Case = (typeof CASES)[number];
type Tool = 'shipshape' | 'dockerCompose';

interface Sample {
  seconds: number;
  /** 1-minute load average when the run started. */
  load: number;
}

async function removeImages(filter: Record<string, string[]>) {
  for (const img of await docker.listImages({ filters: JSON.stringify(filter) })) {
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

/** Wait until every container of the compose project is healthy (or running without a healthcheck). */
async function composeHealthy(project: string, deadline: number) {
  for (;;) {
    const list = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }),
    });
    if (list.length > 0 && list.every((c) => c.State === 'running' && !/starting|unhealthy/.test(c.Status)))
      return;
    if (Date.now() > deadline) throw new Error(`compose project ${project} not healthy in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The public port answers 200 (shipshape said it is ready: check it). */
async function answers(port: number): Promise<void> {
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 3000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
  if (status !== 200) throw new Error(`public port ${port} answered ${status}`);
}

async function timed(fn: () => Promise<unknown>): Promise<Sample> {
  const load = os.loadavg()[0]!;
  const t = process.hrtime.bigint();
  await fn();
  return { seconds: Number((process.hrtime.bigint() - t) / 1_000_000n) / 1000, load };
}

/** Both tools' commands on one example, under names of their own. */
function setUp(example: string) {
  const dir = path.join(root, 'examples', example);
  const name = `bench-up-${example}-${process.pid}`;
  const project = `benchc${example.replace(/-/g, '')}${process.pid}`;
  const doc = parse(readFileSync(path.join(dir, 'compose.yaml'), 'utf8')) as {
    'x-shipshape': { name: string };
    services: Record<string, { ports?: string[] }>;
  };
  doc['x-shipshape'].name = name;
  for (const s of Object.values(doc.services))
    if (s.ports) s.ports = s.ports.map((p) => String(p).split(':').pop()!);
  const file = path.join(dir, `.bench-up-${process.pid}.compose.yaml`);
  writeFileSync(file, stringify(doc));
  const cli = path.join(root, 'dist/cli/main.js');
  const shipshape = (...args: string[]) =>
    run(process.execPath, [cli, '-q', '-f', file, ...args], { cwd: dir });
  const compose = (...args: string[]) =>
    run('docker-compose', ['-f', file, '-p', project, ...args], { cwd: dir });
  const publicPort = async () => {
    const rows = JSON.parse((await shipshape('ps', '--json')).stdout) as {
      replica: string;
      ports: string[];
    }[];
    return Number(/:(\d+)->/.exec(rows.find((r) => r.ports.length > 0)!.ports[0]!)![1]);
  };
  return {
    file,
    name,
    project,
    cleanImages: {
      shipshape: () => removeImages({ label: [`${LABELS.app}=${name}`] }),
      dockerCompose: () => removeImages({ reference: [`${project}_*`] }),
    },
    up: {
      shipshape: async () => {
        await shipshape('up', '-d', '--timeout', '180');
      },
      dockerCompose: async () => {
        await compose('up', '-d', '--build');
        await composeHealthy(project, Date.now() + 180_000);
      },
    },
    check: { shipshape: async () => answers(await publicPort()), dockerCompose: async () => undefined },
    down: {
      shipshape: async () => void (await down(name)),
      dockerCompose: async () => void (await compose('down', '--timeout', '1')),
    },
  };
}

type Setup = ReturnType<typeof setUp>;

/** cold, warm and again for one tool. */
async function casesOf(s: Setup, tool: Tool): Promise<Record<Case, Sample>> {
  await s.cleanImages[tool]();
  const cold = await timed(s.up[tool]);
  await s.check[tool]();
  await s.down[tool]();
  const warm = await timed(s.up[tool]);
  await s.check[tool]();
  const again = await timed(s.up[tool]);
  await s.down[tool]();
  return { cold, warm, again };
}

async function benchExample(example: string) {
  const s = setUp(example);
  const samples: Record<Tool, Record<Case, Sample[]>> = {
    shipshape: { cold: [], warm: [], again: [] },
    dockerCompose: { cold: [], warm: [], again: [] },
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order: Tool[] = round % 2 === 0 ? ['shipshape', 'dockerCompose'] : ['dockerCompose', 'shipshape'];
      for (const tool of order) {
        process.stderr.write(`${example}: round ${round + 1}/${ROUNDS}, ${tool}…\n`);
        const r = await casesOf(s, tool);
        for (const c of CASES) samples[tool][c].push(r[c]);
      }
    }
  } finally {
    await s.down.shipshape().catch(() => undefined);
    await s.down.dockerCompose().catch(() => undefined);
    await s.cleanImages.shipshape();
    await s.cleanImages.dockerCompose();
    rmSync(s.file, { force: true });
  }
  return { example, samples };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function summary(results: Awaited<ReturnType<typeof benchExample>>[]) {
  return results.flatMap(({ example, samples }) =>
    CASES.map((c) => {
      const ss = samples.shipshape[c].map((x) => x.seconds);
      const dc = samples.dockerCompose[c].map((x) => x.seconds);
      const loads = [...samples.shipshape[c], ...samples.dockerCompose[c]].map((x) => x.load);
      return {
        example,
        case: c,
        shipshapeS: median(ss),
        dockerComposeS: median(dc),
        ratio: Number((median(ss) / median(dc)).toFixed(2)),
        shipshapeRangeS: [Math.min(...ss), Math.max(...ss)],
        dockerComposeRangeS: [Math.min(...dc), Math.max(...dc)],
        loadRange: [Math.min(...loads), Math.max(...loads)].map((l) => Number(l.toFixed(1))),
      };
    }),
  );
}

process.stderr.write('building dist/ (the CLI as people run it)…\n');
execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
const loadBefore = os.loadavg();
const results = [];
for (const example of EXAMPLES) results.push(await benchExample(example));
const rows = summary(results);
const version = execFileSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).trim();
const out = {
  date: new Date().toISOString(),
  cpus: os.cpus().length,
  dockerCompose: version,
  rounds: ROUNDS,
  target: '≤ 0.5× docker-compose',
  loadAverage: { before: loadBefore, after: os.loadavg() },
  rows,
  samples: results,
};
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/up.json'), `${JSON.stringify(out, null, 2)}\n`);
const fmt = (n: number) => n.toFixed(2);
writeFileSync(
  path.join(root, 'bench/results/up.md'),
  `# \`shipshape up\` time to healthy (${out.date.slice(0, 10)})

${out.cpus} CPUs, docker-compose ${version}, ${ROUNDS} interleaved rounds (the tool that goes first alternates).
Seconds from launching the command until every service is healthy, median (min–max); target ≤ 0.5× docker-compose.

**Shared machine:** other engineers' builds and tests ran on the same 2 cores during this run; the
1-minute load average was ${loadBefore.map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) at the start and
${out.loadAverage.after.map((l) => l.toFixed(1)).join(' / ')} at the end; each row shows the range seen at its runs' starts.

| example | run | shipshape s | docker-compose s | ratio | load |
| --- | --- | ---: | ---: | ---: | ---: |
${rows
  .map(
    (r) =>
      `| ${r.example} | ${r.case} | ${fmt(r.shipshapeS)} (${fmt(r.shipshapeRangeS[0]!)}–${fmt(r.shipshapeRangeS[1]!)}) | ${fmt(r.dockerComposeS)} (${fmt(r.dockerComposeRangeS[0]!)}–${fmt(r.dockerComposeRangeS[1]!)}) | ${r.ratio} | ${r.loadRange.join('–')} |`,
  )
  .join('\n')}

Why the difference: both examples' healthchecks run every 10 s, and engine 20.10 (no healthcheck
\`start_interval\`) runs the first check one full interval after the start, so docker-compose
waits ~10 s per dependency level (web-api: api, then web). \`shipshape up\` runs each container's
own healthcheck command itself (exec, same user, same timeout) at a short interval as soon as it
starts, starts dependents the moment it passes, and creates every container up front so only
the start waits. The engine's healthcheck still runs as declared afterwards (\`ps\` shows
\`starting\` until its first interval).
`,
);
process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
