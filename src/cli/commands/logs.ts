import { Command } from 'commander';
import { lazyCommand } from '../lazy-command.js';

export function logsCommand(): Command {
  const definition = new Command('logs')
    .description("Show the logs of the app's containers, merged by time, with a prefix per replica")
    .argument('[service...]', 'only these services; default all')
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .option('-n, --tail <lines>', 'only the last N lines of each container')
    .option('--json', 'one JSON object per line: source, service, stream, time, text')
    .addHelpText(
      'after',
      '\nExamples:\n  shipshape logs\n  shipshape logs -f web\n  shipshape logs --tail 20 api\n\nDocs: docs/up.md',
    );
  return lazyCommand(definition, () => import('../actions/logs.js'));
}
