/**
 * One measured synth, in its own process so peak memory (maxRSS) belongs to this run alone.
 * Usage: node --import tsx bench/synth-child.ts <compose file> <outdir>
 * Prints one JSON line: { startupMs, loadMs, phases, synthMs, stacks, resources, maxRssBytes }.
 */
import { synthesize } from '../src/infra/synth.js';
import { loadApp } from '../src/model/load.js';

const [file, outdir] = process.argv.slice(2);
if (!file || !outdir) throw new Error('usage: synth-child.ts <compose file> <outdir>');
// Static imports (aws-cdk-lib, cdk-nag, ...) are loaded before this line runs.
const startupMs = Math.round(performance.now());
const t0 = performance.now();
const model = loadApp([file]);
const t1 = performance.now();
const phases: Record<string, number> = {};
let last = performance.now();
let lastPhase = 'start';
const result = await synthesize(model, {
  outdir,
  onProgress: (message) => {
    const now = performance.now();
    phases[lastPhase] = Math.round(now - last);
    last = now;
    lastPhase = message.split(' ')[0]!;
  },
});
phases[lastPhase] = Math.round(performance.now() - last);
const t2 = performance.now();
process.stdout.write(
  `${JSON.stringify({
    startupMs,
    loadMs: Math.round(t1 - t0),
    phases,
    synthMs: Math.round(t2 - t1),
    stacks: result.stacks.length,
    resources: result.stacks.reduce((n, s) => n + s.resources, 0),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
