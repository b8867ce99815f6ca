import { Command } from 'commander';
import { loadAppForCommand } from '../app-options.js';
import { engine, requireEngine } from '../../engine/client.js';
import { colors, printJson, table } from '../../support/output.js';
import { ps } from '../../local/ops.js';

export function psCommand(): Command {
  return new Command('ps')
    .description("List the app's containers: service, replica, state, health, published ports")
    .option('--json', 'machine-readable output')
    .addHelpText('after', '\nExamples:\n  shipshape ps\n  shipshape ps --json\n\nDocs: docs/up.md')
    .action(async function (this: Command, opts: { json?: boolean }) {
      const app = loadAppForCommand(this);
      const rows = await ps(app, await requireEngine(engine()));
      if (opts.json) return printJson(rows);
      if (rows.length === 0) {
        process.stderr.write(`${app.name} is not running (\`shipshape up\` starts it)\n`);
        return;
      }
      const paintState = (s: string) => (s === 'running' ? colors.green(s) : colors.red(s));
      const paintHealth = (h: string) =>
        h === 'healthy' ? colors.green(h) : h === 'unhealthy' ? colors.red(h) : h;
      process.stdout.write(
        `${table(
          ['service', 'replica', 'state', 'health', 'ports'],
          rows.map((r) => [
            r.service,
            r.replica,
            paintState(r.state),
            paintHealth(r.health),
            r.ports.join(', '),
          ]),
        )}\n`,
      );
    });
}
