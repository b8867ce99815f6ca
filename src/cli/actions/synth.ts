import { relative } from 'node:path';
import type { Command } from 'commander';
import { globalOptions } from '../app-options.js';
import { loadAppForCommand } from '../load-app.js';
import { synthesize, type SynthResult } from '../../infra/synth.js';
import { formatCost } from '../../infra/cost.js';
import { formatLocation } from '../../model/errors.js';
import { colors, errColors, printJson, safeText, table } from '../../support/output.js';

function show(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') ? path : rel;
}

function printHuman(r: SynthResult): void {
  const out: string[] = [];
  out.push(
    table(
      ['STACK', 'RESOURCES', 'TEMPLATE (YAML)'],
      r.stacks.map((s) => [s.name, String(s.resources), show(s.yamlFile)]),
    ),
    '',
  );
  if (r.nag) {
    const ok = r.nag.findings.length === 0;
    out.push(
      `policy gate: cdk-nag ${r.nag.pack}: ${ok ? colors.green('0 findings') : colors.red(`${r.nag.findings.length} findings`)}, ${r.nag.acknowledged.length} acknowledged in code`,
    );
    // One line per rule and reason (a 100-service app acknowledges the same thing 100 times).
    const grouped = new Map<string, { rule: string; reason: string; paths: string[] }>();
    for (const a of r.nag.acknowledged) {
      const key = `${a.rule}\0${a.reason}`;
      const g = grouped.get(key) ?? { rule: a.rule, reason: a.reason, paths: [] };
      g.paths.push(a.path);
      grouped.set(key, g);
    }
    for (const g of grouped.values()) {
      const where = g.paths.length === 1 ? g.paths[0] : `${g.paths.length} constructs`;
      out.push(`  ${colors.dim(safeText(`${g.rule} (${where}): ${g.reason}`))}`);
    }
  }
  for (const f of r.acknowledgedUnsafe) {
    out.push(
      safeText(
        `acknowledged unsafe setting: ${f.path} [${f.rule}] at ${formatLocation(f.location)}: ${f.acknowledged?.reason ?? ''}`,
      ),
    );
  }
  out.push(`estimated cost: ${formatCost(r.cost)}`);
  out.push(`cloud assembly: ${safeText(show(r.outdir))}`, `diagram: ${safeText(show(r.diagramFile))}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

export default async function synth(
  this: Command,
  opts: { out: string; split: 'auto' | 'always' | 'never'; json?: boolean; env?: string },
): Promise<void> {
  const app = loadAppForCommand(this, { environment: opts.env });
  const quiet = globalOptions(this).quiet;
  const result = await synthesize(app, {
    outdir: opts.out,
    split: opts.split,
    onProgress: quiet
      ? undefined
      : (m) => process.stderr.write(`${errColors.dim(`synth: ${safeText(m)}`)}\n`),
  });
  if (opts.json) printJson(result);
  else printHuman(result);
}
