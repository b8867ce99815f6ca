import type { Command } from 'commander';
import { checkCommand } from './check.js';
import { ciCommand } from './ci.js';
import { configCommand } from './config.js';
import { doctorCommand } from './doctor.js';
import { downCommand } from './down.js';
import { logsCommand } from './logs.js';
import { psCommand } from './ps.js';
import { reportCommand } from './report.js';
import { rollbackCommand } from './rollback.js';
import { runCommand } from './run.js';
import { sbomCommand } from './sbom.js';
import { slimCommand } from './slim.js';
import { deployCommand } from './deploy.js';
import { diffCommand } from './diff.js';
import { destroyCommand } from './destroy.js';
import { synthCommand } from './synth.js';
import { upCommand } from './up.js';

/*
 * How a command is written (keep `--help`, `--version` and `config` instant):
 *
 *   src/cli/commands/<name>.ts   the definition: name, arguments, options, help text. It imports
 *                                only commander, ../app-options.js (collect, globalOptions) and
 *                                ../lazy-command.js — never the model, engine, infra or slim code.
 *   src/cli/actions/<name>.ts    the implementation: `export default async function (this: Command,
 *                                ...args)`, with whatever it needs imported at the top
 *                                (../load-app.js for the app model, aws-cdk-lib, dockerode...).
 *
 *   export function fooCommand(): Command {
 *     const definition = new Command('foo').description('…').option('--json', '…');
 *     return lazyCommand(definition, () => import('../actions/foo.js'));
 *   }
 *
 * lazyCommand imports the action module only when the command runs. test/unit/cli/startup.test.ts
 * fails when `--help`, `--version` or `config` load a heavy module (aws-cdk-lib, dockerode,
 * cdk-nag, elkjs, ...); bench/cli.ts measures start-up against docker-compose.
 */

/** Every command the CLI offers. Only commands that work are listed here. */
export function allCommands(): Command[] {
  return [
    configCommand(),
    doctorCommand(),
    upCommand(),
    downCommand(),
    psCommand(),
    logsCommand(),
    synthCommand(),
    slimCommand(),
    checkCommand(),
    sbomCommand(),
    reportCommand(),
    deployCommand(),
    diffCommand(),
    destroyCommand(),
    runCommand(),
    rollbackCommand(),
    ciCommand(),
  ];
}
