/**
 * `shipshape up` time to healthy, cold and warm, beside Debian's docker-compose (1.29) on the
 * same compose file, for each example, interleaved: in every round both tools run each case, and
 * which tool goes first alternates between rounds, so load from other work on this shared
 * machine falls on both. Bounded: BENCH_ROUNDS rounds (default 3), each up capped at 180 s.
 *
 *   npx tsx bench/up.ts          # writes bench/results/up.json and up.md
 *
 * shipshape runs twice per case: as a library call in this process (load the compose file, `up`)
 * and as the command people type (package.json's `bin`, built first: `shipshape up -d`), which adds the
 * CLI's start-up; docker-compose runs as `docker-compose up -d --build`. The clock stops when
 * every service is healthy:
 * - shipshape: when `up` returns (the CLI exits 0), which it does once every container's own
 *   healthcheck command has passed (run by shipshape, docs/up.md); the bench then checks the
 *   public port answers 200, so "healthy" is not taken on trust;
 * - docker-compose: when the engine reports every container healthy (or running, without a
 *   healthcheck), polled every 100 ms after `up -d` returns.
 *
 * cold  = no app images and no cached layers of them, nothing running (base images present): the
 *         example is copied and its Dockerfiles take a nonce right after FROM, new for every cold run.
 * warm  = app images built, nothing running.
 * again = everything running, nothing changed.
 * docker-compose cannot run 2 replicas on one fixed host port, so both tools get the published
 * ports made ephemeral (in the copy of the example); nothing else differs.
 */
import { execFile, execFileSync } from 'node:child_process';
import http from 'node:http';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { LABELS, engine } from '../src/engine/client.js';
import { loadApp } from '../src/model/load.js';
import { down } from '../src/local/down.js';
import { ps } from '../src/local/ps.js';
import { up } from '../src/local/up.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const docker = engine();
const EXAMPLES = ['hello-lb', 'web-api'];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** The CLI as npm installs it: package.json's `bin`. */
const CLI = path.join(
  root,
  (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { bin: { shipshape: string } }).bin
    .shipshape,
);
const CASES = ['cold', 'warm', 'again'] as const;
type Case = (typeof CASES)[number];
/** shipshape as a library call (load the compose file, `up`), as the CLI process, and docker-compose. */
const TOOLS = ['shipshape', 'shipshapeCli', 'dockerCompose'] as const;
type Tool = (typeof TOOLS)[number];

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

/**
 * A copy of the example whose Dockerfiles take a nonce right after FROM (`ARG BENCH_NONCE` and a
 * LABEL using it): a new nonce misses the engine's layer cache at every step. Without it a
 * "cold" build is mostly cache hits, because both tools build the same Dockerfiles on one engine
 * (and other people's runs of the examples leave the same layers).
 */
function copyExample(example: string, into: string): string {
  const dir = path.join(into, example);
  cpSync(path.join(root, 'examples', example), dir, { recursive: true });
  const doc = parse(readFileSync(path.join(dir, 'compose.yaml'), 'utf8')) as {
    services: Record<string, { build?: string | { context?: string; dockerfile?: string } }>;
  };
  for (const svc of Object.values(doc.services)) {
    if (!svc.build) continue;
    const b = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
    const dockerfile = path.join(dir, b.context ?? '.', b.dockerfile ?? 'Dockerfile');
    const text = readFileSync(dockerfile, 'utf8');
    writeFileSync(
      dockerfile,
      text.replace(/^(FROM .*)$/m, '$1\nARG BENCH_NONCE\nLABEL bench.nonce=$BENCH_NONCE'),
    );
  }
  return dir;
}

/** Each tool's commands on one example, under names of their own, in a copy of the example. */
function setUp(example: string, tmp: string) {
  const dir = copyExample(example, tmp);
  const name = `bench-up-${example}-${process.pid}`;
  const project = `benchc${example.replace(/-/g, '')}${process.pid}`;
  /** The compose file of one tool: ports ephemeral, the tool's name, the build nonce. */
  const composeFile = (tool: Tool, nonce: string) => {
    const doc = parse(readFileSync(path.join(dir, 'compose.yaml'), 'utf8')) as {
      'x-shipshape': { name: string };
      services: Record<string, { ports?: string[]; build?: string | { context?: string; args?: object } }>;
    };
    doc['x-shipshape'].name = name;
    for (const svc of Object.values(doc.services)) {
      if (svc.ports) svc.ports = svc.ports.map((p) => String(p).split(':').pop()!);
      if (svc.build) {
        const b = typeof svc.build === 'string' ? { context: svc.build } : svc.build;
        svc.build = { ...b, args: { ...b.args, BENCH_NONCE: nonce } };
      }
    }
    const file = path.join(dir, `${tool}.compose.yaml`);
    writeFileSync(file, stringify(doc));
    return file;
  };
  const files = Object.fromEntries(TOOLS.map((t) => [t, composeFile(t, 'warm')])) as Record<Tool, string>;
  const cli = CLI;
  const shipshape = (...args: string[]) =>
    run(process.execPath, [cli, '-q', '-f', files.shipshapeCli, ...args], { cwd: dir });
  const compose = (...args: string[]) =>
    run('docker-compose', ['-f', files.dockerCompose, '-p', project, ...args], { cwd: dir });
  const load = () => loadApp([files.shipshape], { cwd: dir });
  const publicPort = async () => {
    const row = (await ps(load())).find((r) => r.ports.length > 0)!;
    return Number(/:(\d+)->/.exec(row.ports[0]!)![1]);
  };
  const shipshapeImages = () => removeImages({ label: [`${LABELS.app}=${name}`] });
  const shipshapeDown = async () => void (await down(name));
  const shipshapeCheck = async () => answers(await publicPort());
  return {
    /** Remove the tool's images and give its next build a fresh nonce: nothing cached. */
    makeCold: async (tool: Tool, nonce: string) => {
      await (tool === 'dockerCompose' ? removeImages({ reference: [`${project}_*`] }) : shipshapeImages());
      files[tool] = composeFile(tool, nonce);
    },
    up: {
      shipshape: async () => void (await up(load(), { timeoutMs: 180_000 })),
      shipshapeCli: async () => void (await shipshape('up', '-d', '--timeout', '180')),
      dockerCompose: async () => {
        await compose('up', '-d', '--build');
        await composeHealthy(project, Date.now() + 180_000);
      },
    },
    check: { shipshape: shipshapeCheck, shipshapeCli: shipshapeCheck, dockerCompose: async () => undefined },
    down: {
      shipshape: shipshapeDown,
      shipshapeCli: shipshapeDown,
      dockerCompose: async () => void (await compose('down', '--timeout', '1')),
    },
  };
}

type Setup = ReturnType<typeof setUp>;

/** cold, warm and again for one tool. */
async function casesOf(s: Setup, tool: Tool, round: number): Promise<Record<Case, Sample>> {
  await s.makeCold(tool, `${process.pid}-${tool}-${round}`);
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
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-up-'));
  const s = setUp(example, tmp);
  const empty = (): Record<Case, Sample[]> => ({ cold: [], warm: [], again: [] });
  const samples: Record<Tool, Record<Case, Sample[]>> = {
    shipshape: empty(),
    shipshapeCli: empty(),
    dockerCompose: empty(),
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate who goes first, so no tool always runs right after a given other one.
      const order = TOOLS.map((_, i) => TOOLS[(i + round) % TOOLS.length]!);
      for (const tool of order) {
        process.stderr.write(`${example}: round ${round + 1}/${ROUNDS}, ${tool}…\n`);
        const r = await casesOf(s, tool, round);
        for (const c of CASES) samples[tool][c].push(r[c]);
      }
    }
  } finally {
    for (const tool of TOOLS) {
      await s.down[tool]().catch(() => undefined);
      await s.makeCold(tool, 'done');
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  return { example, samples };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function summary(results: Awaited<ReturnType<typeof benchExample>>[]) {
  return results.flatMap(({ example, samples }) =>
    CASES.map((c) => {
      const seconds = (t: Tool) => samples[t][c].map((x) => x.seconds);
      const stats = (t: Tool) => ({
        medianS: median(seconds(t)),
        rangeS: [Math.min(...seconds(t)), Math.max(...seconds(t))],
      });
      const loads = TOOLS.flatMap((t) => samples[t][c].map((x) => x.load));
      const dc = median(seconds('dockerCompose'));
      return {
        example,
        case: c,
        shipshape: stats('shipshape'),
        shipshapeCli: stats('shipshapeCli'),
        dockerCompose: stats('dockerCompose'),
        ratio: Number((median(seconds('shipshape')) / dc).toFixed(2)),
        cliRatio: Number((median(seconds('shipshapeCli')) / dc).toFixed(2)),
        loadRange: [Math.min(...loads), Math.max(...loads)].map((l) => Number(l.toFixed(1))),
      };
    }),
  );
}

/** The CLI's own start-up, timed in the same session: `shipshape --help` (no engine, no app). */
async function cliStartup(): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = await timed(() => run(process.execPath, [CLI, '--help']));
    xs.push(t.seconds);
  }
  return median(xs);
}

process.stderr.write('building dist/ (the CLI as people run it)…\n');
execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
const loadBefore = os.loadavg();
const helpS = await cliStartup();
// The library column times `up` in a process that has loaded shipshape once (as a long-running
// tool or test would); the CLI column includes that start-up.
loadApp([], { cwd: path.join(root, 'examples/hello-lb') });
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
  cliHelpS: helpS,
  rows,
  samples: results,
};
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/up.json'), `${JSON.stringify(out, null, 2)}\n`);
const fmt = (n: number) => n.toFixed(2);
const cell = (x: { medianS: number; rangeS: number[] }) =>
  `${fmt(x.medianS)} (${fmt(x.rangeS[0]!)}–${fmt(x.rangeS[1]!)})`;
writeFileSync(
  path.join(root, 'bench/results/up.md'),
  `# \`shipshape up\` time to healthy (${out.date.slice(0, 10)})

${out.cpus} CPUs, docker-compose ${version}, ${ROUNDS} interleaved rounds (the tool that goes first rotates).
Seconds until every service is healthy, median (min–max); target ≤ 0.5× docker-compose.

- **shipshape**: \`up()\` called in the bench's process (modules loaded once beforehand), from
  loading the compose file to its return (every container's own healthcheck passed; the bench
  then checks the public port answers 200).
- **shipshape CLI**: \`node ${path.relative(root, CLI)} up -d\` (package.json's \`bin\`) as a process, the same work plus the CLI's start-up.
  \`shipshape --help\` alone took ${fmt(helpS)} s in this session (each command loads only its own modules).
- **docker-compose**: \`docker-compose up -d --build\`, then until the engine reports every
  container healthy (polled every 100 ms).

**Shared machine:** other work may run on the same 2 cores during a run; the
load average was ${loadBefore.map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min) at the start and
${out.loadAverage.after.map((l) => l.toFixed(1)).join(' / ')} at the end; each row shows the 1-minute load seen when its runs started.
Absolute seconds are inflated by that load; the interleaving puts it on every tool alike.

| example | run | shipshape s | shipshape CLI s | docker-compose s | ratio | CLI ratio | load |
| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows
  .map(
    (r) =>
      `| ${r.example} | ${r.case} | ${cell(r.shipshape)} | ${cell(r.shipshapeCli)} | ${cell(r.dockerCompose)} | ${r.ratio} | ${r.cliRatio} | ${r.loadRange.join('–')} |`,
  )
  .join('\n')}

cold = no app images and none of their layers cached (a copy of the example whose Dockerfiles
take a fresh nonce after FROM; base images present), warm = images built, nothing running,
again = everything running and unchanged.

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
