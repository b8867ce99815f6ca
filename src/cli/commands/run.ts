import { Command } from 'commander';
import { lazyCommand } from '../lazy-command.js';

export function runCommand(): Command {
  const definition = new Command('run')
    .description("Run a one-off command in a deployed service's task definition and network (ECS RunTask)")
    .requiredOption('--env <name>', 'the deployed environment')
    .argument('<service>', 'the service whose task definition, network and security group the task uses')
    .argument('[command...]', "replaces the container's command (after --); default: its own command")
    .option('--timeout <seconds>', 'stop the task after this long (exit 124)', '900')
    .option('-d, --detach', 'print the task id and return without waiting')
    .option('--json', 'print the result as JSON on stdout (the log lines go to stderr)')
    .addHelpText(
      'after',
      `
Prints the task's id, streams its CloudWatch Logs, waits for it to stop and exits with the command's exit
code. Other exit codes: 125 the task stopped without one (it never started: image pull, resources; the stop
reason is printed), 124 --timeout stopped it, 130 Ctrl-C stopped it; before a task starts, 1 ECS refused it,
2 bad input (unknown service), 3 no credentials.

Examples:
  shipshape run --env dev api -- python manage.py migrate
  shipshape run --env prod web -- node scripts/reindex.js --all
  shipshape run --env dev api -d -- sleep 600

Docs: docs/day2.md`,
    );
  return lazyCommand(definition, () => import('../actions/run.js'));
}
