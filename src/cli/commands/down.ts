import { Command } from 'commander';
import { lazyCommand } from '../lazy-command.js';

export function downCommand(): Command {
  const definition = new Command('down')
    .description('Remove every container and network `up` created for the app (found by label)')
    .option('-v, --volumes', "also remove the app's named volumes (their data is lost)")
    .option('--json', 'print the counts as JSON')
    .addHelpText('after', '\nExamples:\n  shipshape down\n  shipshape down -v\n\nDocs: docs/up.md');
  return lazyCommand(definition, () => import('../actions/down.js'));
}
