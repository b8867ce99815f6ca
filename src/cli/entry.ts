import { handleInterrupts, runCleanup } from '../support/cleanup.js';
import { run } from './program.js';

/**
 * The CLI as a function: process-wide setup, then the command line `argv` (without node and the
 * script). Returns the exit code. src/cli/main.ts calls it as a script; the installed CLI calls it
 * from its code-cached bundle (src/cli/launcher.ts).
 */
export async function main(argv: string[]): Promise<number> {
  handleInterrupts();
  // --debug maps stack traces back to src/ (the launcher turns this on before loading the bundle).
  if (argv.includes('--debug')) process.setSourceMapsEnabled(true);
  // A reader that goes away (`shipshape config | head`) ends the output, not with a stack trace:
  // undo what is registered for cleanup and stop, as a tool stopped by SIGPIPE would.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    void runCleanup().finally(() => process.exit(process.exitCode ?? 0));
  });
  return run(argv);
}
