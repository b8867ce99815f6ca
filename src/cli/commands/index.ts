import type { Command } from 'commander';
import { checkCommand } from './check.js';
import { configCommand } from './config.js';
import { doctorCommand } from './doctor.js';
import { downCommand, logsCommand, psCommand, upCommand } from './local-commands.js';
import { reportCommand } from './report.js';
import { sbomCommand } from './sbom.js';
import { synthCommand } from './synth.js';
import { slimCommand } from './slim.js';
import { deployCommand } from './deploy.js';
import { diffCommand } from './diff.js';
import { destroyCommand } from './destroy.js';

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
  ];
}
