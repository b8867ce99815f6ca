/**
 * Process-wide cleanup on Ctrl-C, SIGTERM or a crash. Long-running work registers an undo step
 * (remove the containers, networks and temp dirs it made) and unregisters it when done, so an
 * interrupted run leaves nothing half-made behind.
 */
type Step = () => Promise<void> | void;

const steps = new Map<number, { label: string; run: Step }>();
let nextId = 1;
let installed = false;
let interrupted = false;

export class InterruptedError extends Error {
  constructor(signal: string) {
    super(`interrupted by ${signal}`);
    this.name = 'InterruptedError';
  }
}

/** Register an undo step; returns a function that removes it (call it once the work is committed). */
export function onCleanup(label: string, run: Step): () => void {
  install();
  const id = nextId++;
  steps.set(id, { label, run });
  return () => steps.delete(id);
}

/** Run every registered step, newest first; errors are reported, not thrown. */
export async function runCleanup(
  report: (msg: string) => void = (m) => process.stderr.write(`${m}\n`),
): Promise<void> {
  const pending = [...steps.entries()].reverse();
  steps.clear();
  for (const [, step] of pending) {
    try {
      await step.run();
    } catch (e) {
      report(`cleanup "${step.label}" failed: ${(e as Error).message}`);
    }
  }
}

export function wasInterrupted(): boolean {
  return interrupted;
}

/**
 * Install the Ctrl-C / SIGTERM handlers now, before any library: some register signal listeners
 * of their own (signal-exit, loaded twice, each deferring to the other), which otherwise leave a
 * SIGINT that arrives before the first `onCleanup` ignored, and the command running to its end.
 */
export function handleInterrupts(): void {
  install();
}

/**
 * A point where long synchronous work (CDK synthesis) lets a pending Ctrl-C in: yield to the
 * event loop (a signal is only dispatched when the loop polls, and awaiting settled promises never
 * does), then throw InterruptedError if one came.
 */
export async function interruptionPoint(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  if (interrupted) throw new InterruptedError('SIGINT');
}

/** Handlers for SIGINT/SIGTERM: clean up, then exit 130 (or 143). A second Ctrl-C exits at once. */
function install(): void {
  if (installed) return;
  installed = true;
  const handler = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`\n${signal}: cleaning up… (press Ctrl-C again to exit at once)\n`);
    void runCleanup().finally(() => process.exit(signal === 'SIGTERM' ? 143 : 130));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
