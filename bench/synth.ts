/**
 * Benchmark: `shipshape synth` as users run it (the built CLI, a fresh process each time) for the
 * web-api example and for 10 and 100 generated services: wall time, CPU time (user + sys, all
 * threads), peak memory, and the wall time of each phase (from synth's progress lines).
 *
 *   npm run build && npx tsx bench/synth.ts [--runs N] [--before path/to/old/cli.js]
 *
 * --before runs an older build (e.g. main's dist/cli/main.js) in the same rounds, interleaved, as
 * the peer. Writes bench/results/synth.json and synth.md.
 * Targets (issue 12): web-api ≤ 2.5 s CPU; 100 services ≤ 5 s wall on a quiet machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { generateCompose } from '../test/fixtures/infra/generate.js';
import { load1, measure, median, type Measured } from './measure.js';

const root = resolve(import.meta.dirname, '..');
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 3);
const BEFORE = arg('--before');
const BIN = join(root, 'dist/bin/shipshape.js');
const TARGETS = { webApiMaxCpuMs: 2500, hundredMaxWallMs: 5000 };
if (!existsSync(BIN)) throw new Error(`${BIN} is missing: npm run build first`);

interface Run extends Measured {
  stacks: number;
  resources: number;
  /** Wall milliseconds per phase, named by the first word of synth's progress line. */
  phases: Record<string, number>;
}

function phasesOf(m: Measured): Record<string, number> {
  const marks = m.stderrLines
    .filter((l) => l.text.startsWith('synth: '))
    .map((l) => ({ phase: l.text.slice(7).split(' ')[0]!, atMs: l.atMs }));
  const phases: Record<string, number> = { start: Math.round(marks[0]?.atMs ?? 0) };
  marks.forEach((mark, i) => {
    const next = marks[i + 1]?.atMs ?? m.wallMs;
    phases[mark.phase] = Math.round(next - mark.atMs);
  });
  return phases;
}

async function synth(cli: string, file: string, out: string): Promise<Run> {
  const m = await measure(process.execPath, [cli, '-f', file, 'synth', '-o', out, '--json'], {
    cwd: dirname(file),
  });
  if (m.code !== 0)
    throw new Error(`synth of ${file} failed (${m.code}):\n${m.stderrLines.map((l) => l.text).join('\n')}`);
  // The older CLI prints the same JSON: stacks with their resource counts.
  const result = JSON.parse(m.stdout) as { stacks: { resources: number }[] };
  return {
    ...m,
    stacks: result.stacks.length,
    resources: result.stacks.reduce((n, s) => n + s.resources, 0),
    phases: phasesOf(m),
  };
}

const work = mkdtempSync(join(tmpdir(), 'shipshape-bench-synth-'));
const generated = [10, 100].map((n) => ({ n, ...generateCompose(n) }));
const apps = [
  { app: 'web-api', file: join(root, 'examples/web-api/compose.yaml') },
  ...generated.map((g) => ({ app: `${g.n} services`, file: g.file })),
];
const contenders = [{ id: 'shipshape', cli: BIN }, ...(BEFORE ? [{ id: 'before', cli: BEFORE }] : [])];
const runs = new Map<string, Run[]>();
const loadStart = load1();
try {
  for (let round = 0; round < RUNS; round++) {
    for (const { app, file } of apps) {
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const c of order) {
        // A fresh output directory each time: the figure is synth's, not removing the last run's output.
        const out = join(work, `${c.id}-out`);
        rmSync(out, { recursive: true, force: true });
        const r = await synth(c.cli, file, out);
        runs.set(`${c.id} ${app}`, [...(runs.get(`${c.id} ${app}`) ?? []), r]);
        process.stderr.write(
          `bench synth: ${c.id} ${app} round ${round + 1}/${RUNS}: ${r.wallMs} ms wall, ${r.cpuMs} ms CPU, load ${load1()}\n`,
        );
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  for (const g of generated) rmSync(g.dir, { recursive: true, force: true });
}
const loadEnd = load1();

const summary = (key: string) => {
  const xs = runs.get(key);
  if (!xs) return undefined;
  const typical = [...xs].sort((a, b) => a.cpuMs - b.cpuMs)[Math.floor(xs.length / 2)]!;
  return {
    wallMs: median(xs.map((r) => r.wallMs)),
    cpuMs: median(xs.map((r) => r.cpuMs)),
    maxRssBytes: median(xs.map((r) => r.maxRssBytes)),
    stacks: typical.stacks,
    resources: typical.resources,
    phases: typical.phases,
  };
};
const rows = apps.map(({ app }) => ({
  app,
  shipshape: summary(`shipshape ${app}`)!,
  before: summary(`before ${app}`),
}));
const webApi = rows[0]!.shipshape;
const hundred = rows[2]!.shipshape;
const result = {
  name: 'synth',
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryBytes: totalmem(),
    node: process.version,
  },
  runs: RUNS,
  loadAverage: { start: loadStart, end: loadEnd },
  note: 'The built CLI (dist/bin/shipshape.js), a fresh process per run, medians. CPU = user + sys of all its threads.',
  targets: {
    webApiCpu: {
      maxMs: TARGETS.webApiMaxCpuMs,
      ms: webApi.cpuMs,
      met: webApi.cpuMs <= TARGETS.webApiMaxCpuMs,
    },
    hundredServicesWall: {
      maxMs: TARGETS.hundredMaxWallMs,
      ms: hundred.wallMs,
      met: hundred.wallMs <= TARGETS.hundredMaxWallMs,
    },
  },
  rows,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/synth.json'), `${JSON.stringify(result, null, 2)}\n`);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
const phaseList = (p: Record<string, number>) =>
  Object.entries(p)
    .map(([k, v]) => `${k} ${s(v)}`)
    .join(', ');
const md = [
  '# synth benchmark',
  '',
  `${result.date}, ${result.machine.cpus} cores (${result.machine.cpuModel}), Node ${result.machine.node}, ${RUNS} interleaved rounds, medians.`,
  `Load average ${loadStart} at the start, ${loadEnd} at the end (other work shares the machine and inflates wall times most).`,
  '',
  `| app | stacks | resources | wall | CPU (user + sys) | peak RSS |${BEFORE ? ' before this change: wall / CPU |' : ''}`,
  `| --- | ---: | ---: | ---: | ---: | ---: |${BEFORE ? ' ---: |' : ''}`,
  ...rows.map(
    (r) =>
      `| ${r.app} | ${r.shipshape.stacks} | ${r.shipshape.resources} | ${s(r.shipshape.wallMs)} | ${s(r.shipshape.cpuMs)} | ${mib(r.shipshape.maxRssBytes)} |${r.before ? ` ${s(r.before.wallMs)} / ${s(r.before.cpuMs)} |` : ''}`,
  ),
  '',
  `Targets: web-api ≤ ${s(TARGETS.webApiMaxCpuMs)} CPU — ${result.targets.webApiCpu.met ? 'met' : 'NOT met'} (${s(webApi.cpuMs)}); 100 services ≤ ${s(TARGETS.hundredMaxWallMs)} wall — ${result.targets.hundredServicesWall.met ? 'met' : 'NOT met'} (${s(hundred.wallMs)}).`,
  ...(Math.max(loadStart, loadEnd) > cpus().length
    ? [
        '',
        `The load average exceeded the ${cpus().length} cores: wall times (and to a lesser degree CPU times) are inflated by other work and not comparable with a quiet machine's.`,
      ]
    : []),
  '',
  'Phases (wall, one typical run; "start" is process start-up, imports and loading the compose file;',
  '"drawing" only waits for the diagram, laid out in a worker thread meanwhile):',
  '',
  ...rows.map((r) => `- ${r.app}: ${phaseList(r.shipshape.phases)}`),
  '',
];
writeFileSync(join(root, 'bench/results/synth.md'), md.join('\n'));
process.stdout.write(md.join('\n'));
