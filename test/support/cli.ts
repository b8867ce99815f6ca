import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The CLI as users run it: package.json's `bin`, the launcher `npm run build` writes (it runs the
 * bundle from V8's code caches). Integration tests drive every command through it, so what the
 * build changes about how code loads is tested by the whole suite.
 */
const root = resolve(import.meta.dirname, '../..');

export function shippedBin(): string {
  const { bin } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  const file = join(root, bin.shipshape!);
  if (!existsSync(file))
    throw new Error(`${file} is missing: run \`npm run build\` first (scripts/test.sh does)`);
  return file;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliOptions {
  cwd?: string;
  /** Added to this process's environment (NO_COLOR=1 always). */
  env?: Record<string, string | undefined>;
  /** Milliseconds; default 300 s. */
  timeout?: number;
  input?: string;
}

const environment = (env: CliOptions['env']) => ({ ...process.env, NO_COLOR: '1', ...env });

/** Run `shipshape ...args` to its end. */
export function shipshape(args: string[], options: CliOptions = {}): CliRun {
  const started = Date.now();
  const r = spawnSync(process.execPath, [shippedBin(), ...args], {
    cwd: options.cwd ?? root,
    encoding: 'utf8',
    env: environment(options.env),
    timeout: options.timeout ?? 300_000,
    input: options.input,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
}

/** Start `shipshape ...args` in the background (to signal it, or read it while it runs). */
export function spawnShipshape(args: string[], options: CliOptions = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [shippedBin(), ...args], {
    cwd: options.cwd ?? root,
    env: environment(options.env),
  });
}
