import { Command } from 'commander';
import { lazyCommand } from '../lazy-command.js';

export function psCommand(): Command {
  const definition = new Command('ps')
    .description("List the app's containers: service, replica, state, health, published ports")
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExamples:\n  shipshape ps\n  shipshape ps --json\n\nDocs: docs/up.md');
  return lazyCommand(definition, () => import('../actions/ps.js'));
}
