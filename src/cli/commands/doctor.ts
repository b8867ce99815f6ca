import { Command } from 'commander';
import { lazyCommand } from '../lazy-command.js';

export function doctorCommand(): Command {
  const definition = new Command('doctor')
    .description('Check what this machine has and lacks for each command, with the fix for each gap')
    .argument(
      '[command]',
      'only fail (exit 3) when something this command needs is missing, e.g. "up" or "tests"',
    )
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nExamples:\n  shipshape doctor\n  shipshape doctor up      # exit 3 unless `up` can run here\n  shipshape doctor --json',
    );
  return lazyCommand(definition, () => import('../actions/doctor.js'));
}
