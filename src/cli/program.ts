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

/**
 * `-f` is both the global `--file` and `logs -f` (`--follow`), and commander lets the program's
 * options take their flag anywhere on the line, so `logs -f` read a compose file named by the next
 * word. After the command's name, a flag the command defines itself is the command's: it is
 * rewritten to the command's long option (`logs -f` follows; `-f x.yaml logs` and `logs --file
 * x.yaml` still name a file). Nothing after `--` is touched.
 */
export function preferCommandFlags(program: Command, argv: string[]): string[] {
  const takesValue = new Set(
    program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.short, o.long]),
  );
  let at = -1;
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    if (takesValue.has(argv[i])) i++;
    else if (program.commands.some((c) => c.name() === argv[i])) {
      at = i;
      break;
    }
  }
  const cmd = program.commands.find((c) => c.name() === argv[at]);
  if (!cmd) return argv;
  const shared = new Map(
    cmd.options
      .filter((o) => o.short && o.long && program.options.some((p) => p.short === o.short))
      .map((o) => [o.short!, o.long!]),
  );
  const end = argv.indexOf('--', at);
  return argv.map((a, i) => (i > at && (end < 0 || i < end) && shared.has(a) ? shared.get(a)! : a));
}

/** Run the CLI; returns the exit code instead of exiting, for tests. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(preferCommandFlags(program, argv), { from: 'user' });
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
