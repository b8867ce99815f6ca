import { Command } from 'commander';
import { loadAppForCommand } from '../app-options.js';
import { engine, requireEngine } from '../../engine/client.js';
import { printJson } from '../../support/output.js';
import { down } from '../../local/ops.js';

export function downCommand(): Command {
  return new Command('down')
    .description('Remove every container and network `up` created for the app (found by label)')
    .option('-v, --volumes', "also remove the app's named volumes (their data is lost)")
    .option('--json', 'print the counts as JSON')
    .addHelpText('after', '\nExamples:\n  shipshape down\n  shipshape down -v\n\nDocs: docs/up.md')
    .action(async function (this: Command, opts: { volumes?: boolean; json?: boolean }) {
      const app = loadAppForCommand(this);
      const removed = await down(app, { volumes: opts.volumes, docker: await requireEngine(engine()) });
      if (opts.json) return printJson(removed);
      process.stderr.write(
        `removed ${removed.containers} container(s), ${removed.networks} network(s)` +
          (opts.volumes ? `, ${removed.volumes} volume(s)` : '') +
          ` of ${app.name}\n`,
      );
    });
}
