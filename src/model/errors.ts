import { safeText } from '../support/output.js';
import type { Diagnostic, SourceLocation } from './types.js';

/**
 * Exit codes, documented in docs/exit-codes.md. Every command maps its outcome to one of these.
 */
export const ExitCode = {
  ok: 0,
  /** Something failed at run time (engine error, build failure, unexpected crash). */
  failure: 1,
  /** The user's input is wrong: compose file, flags, x-shipshape settings. */
  usage: 2,
  /** The machine lacks something the command needs (no Docker engine, no strace). */
  environment: 3,
  /** The work ran but its verification failed (slim image failed the app's tests, policy gate). */
  verification: 4,
  /** Interrupted by Ctrl-C / SIGTERM; everything created was cleaned up. */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An error the user can fix. Rendered as one readable message (no stack trace) with file, line,
 * column, document path and a hint.
 */
export class ShipshapeError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly location?: SourceLocation;
  readonly path?: string;
  readonly hint?: string;
  /** Further problems found in the same pass, rendered after the first. */
  readonly more: Diagnostic[];

  constructor(
    message: string,
    options: {
      exitCode?: ExitCodeValue;
      location?: SourceLocation;
      path?: string;
      hint?: string;
      more?: Diagnostic[];
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShipshapeError';
    this.exitCode = options.exitCode ?? ExitCode.usage;
    this.location = options.location;
    this.path = options.path;
    this.hint = options.hint;
    this.more = options.more ?? [];
  }

  toDiagnostic(): Diagnostic {
    return {
      severity: 'error',
      message: this.message,
      path: this.path,
      location: this.location,
      hint: this.hint,
    };
  }
}

/** `file:line:col` or just the file. */
export function formatLocation(location: SourceLocation | undefined): string {
  if (!location) return '';
  const file = safeText(location.file);
  return location.line > 0 ? `${file}:${location.line}:${location.column}` : file;
}

/** One diagnostic as people read it: `file:3:7: error: services.api.ports[0]: message\n  hint: ...`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = formatLocation(d.location);
  const head = [where, d.severity, d.path && safeText(d.path)].filter(Boolean).join(': ');
  // Messages quote the user's values: every control character escaped (it could forge a line).
  const lines = [`${head}: ${safeText(d.message)}`];
  if (d.hint) lines.push(`  hint: ${safeText(d.hint)}`);
  return lines.join('\n');
}

export function isShipshapeError(e: unknown): e is ShipshapeError {
  return e instanceof ShipshapeError;
}
