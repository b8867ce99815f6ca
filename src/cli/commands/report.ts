import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { globalOptions, loadAppForCommand } from '../app-options.js';
import { errColors } from '../../support/output.js';

export function reportCommand(): Command {
  return new Command('report')
    .description(
      'One self-contained HTML page: traffic diagram, exposure, images, findings, infrastructure and cost',
    )
    .option('-o, --out <dir>', 'directory to write index.html to (default .shipshape/report in the project)')
    .addHelpText(
      'after',
      `
The page needs no network: open DIR/index.html anywhere, or keep it as a CI artifact. It runs the
same rules as \`shipshape check\` (images are read only when built) and never fails on findings.

Examples:
  shipshape report
  shipshape report -o public/`,
    )
    .action(async function (this: Command, opts: { out?: string }) {
      const app = loadAppForCommand(this);
      const quiet = globalOptions(this).quiet;
      const { gatherReport } = await import('../../report/data.js');
      const { renderReport } = await import('../../report/html.js');
      const data = await gatherReport(app, {
        onProgress: quiet ? undefined : (m) => process.stderr.write(`${errColors.dim(`report: ${m}`)}\n`),
      });
      const dir = resolve(opts.out ?? join(app.projectDir, '.shipshape', 'report'));
      mkdirSync(dir, { recursive: true });
      const file = join(dir, 'index.html');
      writeFileSync(file, renderReport(data));
      if (!quiet)
        for (const n of data.check.notes) process.stderr.write(`${errColors.yellow(`note: ${n}`)}\n`);
      const rel = relative(process.cwd(), file);
      process.stdout.write(`${rel.startsWith('..') ? file : rel}\n`);
    });
}
