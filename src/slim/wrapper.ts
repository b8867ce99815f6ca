import type { ImageIndex } from '../images/image-fs.js';
import type { TraceSummary } from './trace.js';

/**
 * Entrypoint scripts like the official images' `docker-entrypoint.sh` often do nothing but
 * `exec "$@"`. Keeping a shell for them would defeat a shell-less image, so when the trace
 * *proves* the script was a pass-through for this app, the slim image drops it (and with it the
 * shell) and runs the command directly. Anything the script did beyond that — running another
 * program, changing a file, changing directory or the environment, or exec'ing something other
 * than the command it was given — makes it real work: then it and its shell are kept, and the
 * report says why.
 */

export interface WrapperVerdict {
  /** The entrypoint script, when the entrypoint is one. */
  script?: string;
  /** True when the script was a proven pass-through and is dropped from the slim image. */
  elided: boolean;
  /** Why it is dropped or kept, for the report. */
  reason: string;
  /** The trace without the script's own activity (only when elided). */
  trace?: TraceSummary;
}

/** Variables a shell sets by itself; differences in them do not count as the script's doing. */
const SHELL_VARS = new Set(['PWD', 'OLDPWD', 'SHLVL', '_']);

function envKey(e: string): string {
  return e.slice(0, Math.max(0, e.indexOf('=')));
}

function sameEnv(a: string[], b: string[]): boolean {
  const norm = (env: string[]) =>
    env
      .filter((e) => !SHELL_VARS.has(envKey(e)))
      .sort()
      .join('\0');
  return norm(a) === norm(b);
}

/**
 * @param entrypointLength number of argv items that came from the image's ENTRYPOINT (the rest
 *   is the command the script receives as "$@").
 */
export function analyzeEntrypoint(
  trace: TraceSummary,
  argv: string[],
  entrypointLength: number,
  index: ImageIndex,
): WrapperVerdict {
  const first = trace.execs[0];
  if (!first || entrypointLength === 0) return { elided: false, reason: 'no entrypoint' };
  const real = index.resolve(first.path).real;
  const interpreter = real ? index.get(real)?.shebang : undefined;
  if (!interpreter) return { elided: false, reason: 'the entrypoint is not a script' };
  const script = first.path;
  const keep = (why: string): WrapperVerdict => ({
    script,
    elided: false,
    reason: `entrypoint script ${script} ${why}, so it and its interpreter ${interpreter} are kept`,
  });
  if (entrypointLength !== 1) return keep('has arguments of its own in ENTRYPOINT');

  const pid = first.pid;
  const handoff = trace.execs.find((e) => e.pid === pid && e.seq > first.seq);
  if (!handoff) return keep('never exec’d the command');
  const command = argv.slice(entrypointLength);
  if (JSON.stringify(handoff.argv) !== JSON.stringify(command)) {
    return keep(`exec’d ${JSON.stringify(handoff.argv)} instead of its arguments ${JSON.stringify(command)}`);
  }
  if (first.env.length > 0 && !sameEnv(first.env, handoff.env)) return keep('changed the environment');

  // Every process of the wrapper phase: the script's pid before the hand-off, and its children.
  const phase = new Set<number>([pid]);
  for (const f of trace.forks) if (phase.has(f.parent) && f.seq < handoff.seq) phase.add(f.child);
  const inPhase = (p: number, seq: number) => (p === pid ? seq < handoff.seq : phase.has(p));
  const ranOther = trace.execs.find((e) => e !== first && e !== handoff && inPhase(e.pid, e.seq));
  if (ranOther) return keep(`runs ${ranOther.path}`);
  const wrote = trace.accesses.find((a) => a.writes && a.ok && inPhase(a.pid, a.seq));
  if (wrote) return keep(`changes ${wrote.path} (${wrote.syscall})`);
  const moved = trace.accesses.find((a) => a.syscall === 'chdir' && a.ok && inPhase(a.pid, a.seq));
  if (moved) return keep(`changes directory to ${moved.path}`);

  return {
    script,
    elided: true,
    reason:
      `entrypoint script ${script} only exec’d its arguments (${JSON.stringify(command)}), so the slim image ` +
      `runs the command directly and keeps neither the script nor ${interpreter}`,
    trace: {
      accesses: trace.accesses.filter((a) => !inPhase(a.pid, a.seq)),
      execs: trace.execs.filter((e) => !inPhase(e.pid, e.seq)),
      forks: trace.forks.filter((f) => !inPhase(f.parent, f.seq)),
      missing: trace.missing,
      listed: trace.listed,
    },
  };
}
