import { Command, CommanderError, Option } from 'commander';
import { ExitCode, ShipshapeError, formatDiagnostic } from '../model/errors.js';
import { InterruptedError, runCleanup } from '../support/cleanup.js';
import { errColors, safeText } from '../support/output.js';
import { collect } from './app-options.js';
import { allCommands } from './commands/index.js';
import { SHIPSHAPE_VERSION } from '../support/version.js';

export function buildProgram(): Command {
  const program = new Command('shipshape')
    .description(
      'Take a docker-compose app to production safely: one app model for local runs, slim images and AWS.',
    )
    .version(SHIPSHAPE_VERSION, '-v, --version')
    .option('-f, --file <file>', 'compose file (repeat to merge, in order); default compose.yaml', collect)
    .option('--profile <profile>', 'enable a compose profile (repeatable)', collect)
    .option('--env-file <file>', 'variables for interpolation; default .env next to the first compose file')
    .option('-q, --quiet', 'do not print warnings')
    .addOption(new Option('--debug', 'show stack traces for errors').default(false))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(errColors.red(str)) })
    .addHelpText(
      'after',
      `
Exit codes: 0 ok, 1 failure, 2 bad input, 3 missing prerequisite, 4 verification failed, 130 interrupted.
Docs: docs/cli.md`,
    );
  for (const cmd of allCommands()) program.addCommand(cmd.exitOverride());
  return program;
}

/** Run the CLI; returns the exit code instead of exiting, for tests. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv, { from: 'user' });
    // A command that finished its report but must signal an outcome sets process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (e) {
    await runCleanup();
    return reportError(e, debug);
  }
}

/** CDK's ValidationError, recognized without loading aws-cdk-lib (the CLI loads it only for synth). */
function isValidationError(e: unknown): boolean {
  return e instanceof Error && (e as { type?: unknown }).type === 'validation';
}

export function reportError(e: unknown, debug: boolean): number {
  if (e instanceof CommanderError) {
    // Commander already printed its message; --help and --version end up here with code 0.
    return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (e instanceof ShipshapeError) {
    process.stderr.write(`${errColors.red(formatDiagnostic(e.toDiagnostic()))}\n`);
    for (const d of e.more) process.stderr.write(`${errColors.red(formatDiagnostic(d))}\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return e.exitCode;
  }
  if (isValidationError(e)) {
    // A construct's ValidationError (src/infra/errors.ts): bad input, reported with its construct path.
    process.stderr.write(`${errColors.red(`error: ${safeText((e as Error).message)}`)}\n`);
    if (debug && (e as Error).stack) process.stderr.write(`${(e as Error).stack}\n`);
    return ExitCode.usage;
  }
  if (e instanceof InterruptedError) {
    process.stderr.write(`${e.message}\n`);
    return ExitCode.interrupted;
  }
  const err = e as Error;
  process.stderr.write(`${errColors.red(`error: ${safeText(err?.message ?? String(e))}`)}\n`);
  process.stderr.write(
    debug ? `${err?.stack}\n` : 'This looks like a bug in shipshape; run again with --debug for details.\n',
  );
  return ExitCode.failure;
}
