#!/usr/bin/env -S node --
// `--` ends Node's own options: Node 20 otherwise takes a user's `--env-file` (even after the
// script name) as its own and exits 9 before shipshape runs. bin/shipshape launches the same way.
import { runCleanup } from '../support/cleanup.js';
import { run } from './program.js';

// The installed CLI is a bundle (scripts/build.mjs): --debug maps its stack traces back to src/.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
// A reader that goes away (`shipshape config | head`) ends the output, not with a stack trace:
// undo what is registered for cleanup and stop, as a tool stopped by SIGPIPE would.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  void runCleanup().finally(() => process.exit(process.exitCode ?? 0));
});
process.exitCode = await run(process.argv.slice(2));
