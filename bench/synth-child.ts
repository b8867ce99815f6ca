/**
 * One measured synth, in its own process so peak memory (maxRSS) belongs to this run alone.
 * Usage: node --import tsx bench/synth-child.ts <compose file> <outdir>
 * Prints one JSON line: { loadMs, synthMs, stacks, resources, maxRssBytes }.
 */
import { synthesize } from '../src/infra/synth.js';
import { loadApp } from '../src/model/load.js';

const [file, outdir] = process.argv.slice(2);
if (!file || !outdir) throw new Error('usage: synth-child.ts <compose file> <outdir>');
const t0 = performance.now();
const model = loadApp([file]);
const t1 = performance.now();
const result = await synthesize(model, { outdir });
const t2 = performance.now();
process.stdout.write(
  `${JSON.stringify({
    loadMs: Math.round(t1 - t0),
    synthMs: Math.round(t2 - t1),
    stacks: result.stacks.length,
    resources: result.stacks.reduce((n, s) => n + s.resources, 0),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
