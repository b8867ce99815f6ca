import { Command, Option } from 'commander';
import { lazyCommand } from '../lazy-command.js';

export function logsCommand(): Command {
  const definition = new Command('logs')
    .description("Show the logs of the app's containers, merged by time, with a prefix per replica")
    .argument('[service...]', 'only these services; default all')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --tail <lines>', 'only the last N lines of each container (with --env: of each service)')
    .addOption(
      new Option(
        '--env <name>',
        "the deployed environment NAME's CloudWatch Logs instead of the local engine",
      ),
    )
    .option(
      '--since <when>',
      'with --env: from this long ago (30s, 10m, 2h, 1d) or this ISO time; default 10m',
    )
    .option('--json', 'one JSON object per line: source, service, stream, time, text')
    .addHelpText(
      'after',
      `
With --env NAME: the CloudWatch Logs of the deployed services and jobs (their task definitions'
awslogs groups), merged in time order, one prefix per task (web-3f2a1b9c), stopped tasks' reasons
inline; -f polls for new lines until Ctrl-C (exit 130).

Examples:
  shipshape logs
  shipshape logs -f web
  shipshape logs --tail 20 api
  shipshape logs --env prod api --since 1h -n 100
  shipshape logs --env dev -f

Docs: docs/up.md, docs/day2.md`,
    );
  return lazyCommand(definition, () => import('../actions/logs.js'));
}
