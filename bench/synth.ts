/**
 * Benchmark: `shipshape synth` wall time and peak memory for 1, 10, 50 and 100 generated services.
 * Each run is a fresh Node process (as the CLI is), measured end to end, plus the in-process
 * pipeline time (model → stacks → cloud assembly + cdk-nag + YAML + tag check + diagram).
 * Writes bench/results/synth.json and bench/results/synth.md.
 *
 * Run: npx tsx bench/synth.ts [--runs N]   (default 3 runs per size; the median is reported)
 * Target (issue #5): 10 services in at most 6 s on the 2-core machine, growth close to linear.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { generateCompose } from '../test/fixtures/infra/generate.js';

const root = resolve(import.meta.dirname, '..');
const SIZES = [1, 10, 50, 100];
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;

interface Sample {
  wallMs: number;
  /** Node start + module loading (aws-cdk-lib, cdk-nag, tsx transpiling src) before synth code runs. */
  startupMs: number;
  /** Time per synth phase (building, synthesizing, writing, checking, drawing). */
  phases: Record<string, number>;
  loadMs: number;
  synthMs: number;
  maxRssBytes: number;
  stacks: number;
  resources: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const loadAtStart = loadavg()[0]!;
const rows: Array<{ services: number } & Sample> = [];
const work = mkdtempSync(join(tmpdir(), 'shipshape-bench-synth-'));
try {
  for (const n of SIZES) {
    const { dir, file } = generateCompose(n);
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          import.meta.resolve('tsx'),
          join(root, 'bench/synth-child.ts'),
          file,
          join(work, `out-${n}`),
        ],
        { encoding: 'utf8', cwd: root },
      );
      const wallMs = Math.round(performance.now() - start);
      if (r.status !== 0) throw new Error(`synth of ${n} services failed:\n${r.stderr}`);
      samples.push({ wallMs, ...(JSON.parse(r.stdout) as Omit<Sample, 'wallMs'>) });
      process.stderr.write(`bench synth: ${n} services, run ${i + 1}/${RUNS}: ${wallMs} ms\n`);
    }
    rmSync(dir, { recursive: true, force: true });
    const typical = [...samples].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(samples.length / 2)]!;
    rows.push({
      services: n,
      wallMs: median(samples.map((s) => s.wallMs)),
      startupMs: median(samples.map((s) => s.startupMs)),
      phases: typical.phases,
      loadMs: median(samples.map((s) => s.loadMs)),
      synthMs: median(samples.map((s) => s.synthMs)),
      maxRssBytes: median(samples.map((s) => s.maxRssBytes)),
      stacks: samples[0]!.stacks,
      resources: samples[0]!.resources,
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const base = rows.find((r) => r.services === 10)!;
const largest = rows.at(-1)!;
const result = {
  name: 'synth',
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryBytes: totalmem(),
    node: process.version,
  },
  runsPerSize: RUNS,
  loadAverageAtStart: loadAtStart,
  note: 'wallMs = fresh process end to end (node + tsx startup, module load, loadApp, synth); synthMs = synthesize() alone. Medians.',
  target: { services: 10, maxWallMs: 6000, met: base.wallMs <= 6000 },
  // Per-service synth cost from 10 to the largest size; near-constant means near-linear growth.
  msPerServiceBeyond10: Math.round((largest.synthMs - base.synthMs) / (largest.services - base.services)),
  rows,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/synth.json'), `${JSON.stringify(result, null, 2)}\n`);
const md = [
  '# synth benchmark',
  '',
  `${result.date}, ${result.machine.cpus} cores (${result.machine.cpuModel}), Node ${result.machine.node}, median of ${RUNS} runs.`,
  '',
  '| services | stacks | resources | wall (process) | startup + imports | synthesize() | peak RSS |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.services} | ${r.stacks} | ${r.resources} | ${(r.wallMs / 1000).toFixed(2)} s | ${(r.startupMs / 1000).toFixed(2)} s | ${(r.synthMs / 1000).toFixed(2)} s | ${Math.round(r.maxRssBytes / 2 ** 20)} MiB |`,
  ),
  '',
  `Target: 10 services in ≤ 6 s wall — ${result.target.met ? 'met' : 'NOT met'} (${(base.wallMs / 1000).toFixed(2)} s).`,
  `Load average at the start: ${loadAtStart.toFixed(2)} (other work on the machine inflates every figure).`,
  `Growth: ${result.msPerServiceBeyond10} ms of synth per additional service from 10 to ${largest.services}.`,
  '',
];
writeFileSync(join(root, 'bench/results/synth.md'), md.join('\n'));
process.stdout.write(md.join('\n'));
