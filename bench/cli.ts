/**
 * Benchmark: CLI start-up, beside docker-compose (Debian's 1.29) on the same compose file.
 * `shipshape --version`, `config` and `ps` against `docker-compose --version`, `config` and `ps`,
 * run interleaved (ours, theirs, then theirs, ours in the next round) so both see the same machine.
 * Medians of wall and CPU (user + sys) time; the ratio is shipshape / docker-compose (wall).
 * `ps` runs with the app not running: both tools parse the file and ask the engine for the
 * project's containers.
 *
 *   npm run build && npx tsx bench/cli.ts [--runs N] [--before path/to/old/cli.js]
 *
 * --before adds an older build of shipshape (e.g. main's dist/cli/main.js) to the same rounds.
 * Writes bench/results/cli.json and cli.md. Target (issue 12): each ratio ≤ 0.5.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { load1, measure, median, type Measured } from './measure.js';

const root = resolve(import.meta.dirname, '..');
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(arg('--runs') ?? 15);
const BEFORE = arg('--before');
const BIN = join(root, 'dist/bin/shipshape.js');
const DIR = join(root, 'examples/web-api');
const COMMANDS = [
  { name: '--version', ours: ['--version'], theirs: ['--version'] },
  { name: 'config', ours: ['-f', 'compose.yaml', 'config'], theirs: ['-f', 'compose.yaml', 'config'] },
  { name: 'ps', ours: ['-f', 'compose.yaml', 'ps'], theirs: ['-f', 'compose.yaml', 'ps'] },
];
const TARGET_RATIO = 0.5;

if (!existsSync(BIN)) throw new Error(`${BIN} is missing: npm run build first`);
const contenders = [
  { id: 'shipshape', run: (args: string[]) => measure(process.execPath, [BIN, ...args], { cwd: DIR }) },
  { id: 'docker-compose', run: (args: string[]) => measure('docker-compose', args, { cwd: DIR }) },
  ...(BEFORE
    ? [{ id: 'before', run: (args: string[]) => measure(process.execPath, [BEFORE, ...args], { cwd: DIR }) }]
    : []),
];

const samples = new Map<string, Measured[]>();
const loadStart = load1();
for (let round = 0; round < RUNS; round++) {
  for (const c of COMMANDS) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const who of order) {
      const m = await who.run(who.id === 'docker-compose' ? c.theirs : c.ours);
      if (m.code !== 0) throw new Error(`${who.id} ${c.name} exited ${m.code}`);
      const key = `${who.id} ${c.name}`;
      samples.set(key, [...(samples.get(key) ?? []), m]);
    }
  }
  process.stderr.write(`bench cli: round ${round + 1}/${RUNS}, load ${load1()}\n`);
}
const loadEnd = load1();

const stat = (key: string) => {
  const xs = samples.get(key)!;
  return { wallMs: median(xs.map((m) => m.wallMs)), cpuMs: median(xs.map((m) => m.cpuMs)) };
};
const rows = COMMANDS.map((c) => {
  const ours = stat(`shipshape ${c.name}`);
  const theirs = stat(`docker-compose ${c.name}`);
  const before = BEFORE ? stat(`before ${c.name}`) : undefined;
  return {
    command: c.name,
    shipshape: ours,
    dockerCompose: theirs,
    ...(before ? { before } : {}),
    ratioWall: Number((ours.wallMs / theirs.wallMs).toFixed(2)),
    ratioCpu: Number((ours.cpuMs / theirs.cpuMs).toFixed(2)),
  };
});
const result = {
  name: 'cli',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
  dockerCompose: execFileSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).trim(),
  composeFile: 'examples/web-api/compose.yaml',
  runs: RUNS,
  loadAverage: { start: loadStart, end: loadEnd },
  target: { maxRatio: TARGET_RATIO, met: rows.every((r) => r.ratioWall <= TARGET_RATIO) },
  rows,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/cli.json'), `${JSON.stringify(result, null, 2)}\n`);
const s = (ms: number) => (ms / 1000).toFixed(2);
const md = [
  '# CLI start-up benchmark',
  '',
  `${result.date}, ${result.machine.cpus} cores (${result.machine.cpuModel}), Node ${result.machine.node}, docker-compose ${result.dockerCompose}.`,
  `Same compose file (${result.composeFile}), ${RUNS} interleaved rounds, medians; load average ${loadStart} at the start, ${loadEnd} at the end (other work shares the machine).`,
  '',
  `| command | shipshape wall | docker-compose wall | ratio (wall) | shipshape CPU | docker-compose CPU | ratio (CPU) |${BEFORE ? ' before this change: wall / CPU |' : ''}`,
  `| --- | ---: | ---: | ---: | ---: | ---: | ---: |${BEFORE ? ' ---: |' : ''}`,
  ...rows.map(
    (r) =>
      `| \`${r.command}\` | ${s(r.shipshape.wallMs)} s | ${s(r.dockerCompose.wallMs)} s | ${r.ratioWall} | ${s(r.shipshape.cpuMs)} s | ${s(r.dockerCompose.cpuMs)} s | ${r.ratioCpu} |${r.before ? ` ${s(r.before.wallMs)} s / ${s(r.before.cpuMs)} s |` : ''}`,
  ),
  '',
  `Target: each ratio ≤ ${TARGET_RATIO} — ${result.target.met ? 'met' : 'NOT met'}.`,
  'CPU is user + system time of the process (GNU time, 10 ms resolution); ps runs with the app not running.',
  ...(Math.max(loadStart, loadEnd) > cpus().length
    ? [
        `The load average exceeded the ${cpus().length} cores: absolute times are inflated by other work; the interleaved ratios are the comparable figure.`,
      ]
    : []),
  '',
];
writeFileSync(join(root, 'bench/results/cli.md'), md.join('\n'));
process.stdout.write(md.join('\n'));
