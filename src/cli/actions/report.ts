import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { globalOptions } from '../app-options.js';
import { loadAppForCommand } from '../load-app.js';
import { errColors, safeText } from '../../support/output.js';

export default async function report(this: Command, opts: { out?: string }): Promise<void> {
  const app = loadAppForCommand(this);
  const quiet = globalOptions(this).quiet;
  const { gatherReport } = await import('../../report/data.js');
  const { renderReport } = await import('../../report/html.js');
  const data = await gatherReport(app, {
    onProgress: quiet
      ? undefined
      : (m) => process.stderr.write(`${errColors.dim(`report: ${safeText(m)}`)}\n`),
  });
  const dir = resolve(opts.out ?? join(app.projectDir, '.shipshape', 'report'));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.html');
  writeFileSync(file, renderReport(data));
  if (!quiet)
    for (const n of data.check.notes) process.stderr.write(`${errColors.yellow(`note: ${safeText(n)}`)}\n`);
  const rel = relative(process.cwd(), file);
  process.stdout.write(`${rel.startsWith('..') ? file : rel}\n`);
}
