import { Command } from 'commander';
import { lazyCommand } from '../lazy-command.js';

export function reportCommand(): Command {
  const definition = new Command('report')
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
    );
  return lazyCommand(definition, () => import('../actions/report.js'));
}
