import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { recordModules, runCommonJs } from './module-cache.js';

/**
 * The installed CLI starts from V8's code cache. Most of what `shipshape config` or `ps` costs
 * beyond Node's own start is compiling JavaScript: the bundle's ~1 MB, then each function as it
 * first runs (the YAML parser, zod, the model). Node 22 can cache compiled code itself
 * (`module.enableCompileCache`); Node 20, which shipshape supports, offers only `vm.Script`'s
 * `cachedData`, so the CLI is one CommonJS bundle (dist/bin/shipshape-core.cjs) that the launcher
 * (src/cli/launcher.ts) compiles through `vm.Script` with the cache `npm run build` made after
 * running sample commands (`writeCodeCaches`) — the cache then holds those functions compiled.
 * The CommonJS packages it requires from node_modules get the same (src/cli/module-cache.ts).
 * V8 rejects a cache made by another V8 version or with other flags, and then compiles as usual:
 * a stale cache costs time, never correctness.
 */

/** What the CLI bundle exports (src/cli/entry.ts). */
export interface CliBundle {
  main(argv: string[]): Promise<number>;
}

export interface CompiledCli {
  readonly cli: CliBundle;
  readonly script: vm.Script;
  /** Whether V8 refused the cache given; undefined when none was. */
  readonly cacheRejected: boolean | undefined;
}

/** The CLI bundle the build writes (scripts/build.mjs). Same place from dist/cli and dist/bin. */
export function cliBundlePath(): string {
  return fileURLToPath(new URL('../../dist/bin/shipshape-core.cjs', import.meta.url));
}

/** V8's code cache for the CLI bundle, made by the build (`writeCodeCaches`). */
export function cliCodeCachePath(): string {
  return fileURLToPath(new URL('../../dist/precompiled/cli.v8cache', import.meta.url));
}

/**
 * The code cache in `cacheFile` if it was made after `bundle` was written, else undefined (also
 * when missing or unreadable). V8 checks a cache's version and flags but of the source only its
 * length: a bundle changed since (the same length is unlikely, not impossible) must not run code
 * compiled from the old one.
 */
export function freshCodeCache(bundle: string, cacheFile: string): Buffer | undefined {
  const made = statSync(cacheFile, { throwIfNoEntry: false });
  if (!made || made.mtimeMs < statSync(bundle).mtimeMs) return undefined;
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

/** Compile and run the CLI bundle as a CommonJS module, with `cachedData` when given. */
export function compileCli(file: string, cachedData?: Buffer): CompiledCli {
  const module = { exports: {} as CliBundle };
  const script = runCommonJs(readFileSync(file, 'utf8'), file, module, createRequire(file), cachedData);
  return { cli: module.exports, script, cacheRejected: cachedData ? script.cachedDataRejected : undefined };
}

/** V8's code cache for the CommonJS modules the CLI requires (src/cli/module-cache.ts). */
export function moduleCodeCachePath(): string {
  return fileURLToPath(new URL('../../dist/precompiled/modules.v8cache', import.meta.url));
}

const SAMPLE = fileURLToPath(new URL('../../examples/web-api/compose.yaml', import.meta.url));

/** Run `argv` through the CLI with its output (and exit code) discarded. */
async function runQuietly(cli: CliBundle, argv: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const { stdout, stderr } = process;
  const writes = [stdout.write, stderr.write] as const;
  const exitCode = process.exitCode;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  // The sample commands' output is not wanted in the build's.
  stdout.write = stderr.write = () => true;
  Object.assign(process.env, env);
  try {
    await cli.main(argv);
  } finally {
    [stdout.write, stderr.write] = writes;
    process.exitCode = exitCode;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * Make both code caches by running sample commands, in a process of its own (scripts/build.mjs
 * starts one) so that every module is compiled here and recorded:
 * - the CLI bundle's, after the light commands whose start-up is measured (bench/cli.ts): a synth's
 *   functions in it would make every start read a larger cache;
 * - the required modules', after those and a synth of the web-api example and a `ps` (against an
 *   engine address that does not exist: it loads the Docker client, then fails fast).
 * Without the example (an installed package), only `--help` runs.
 */
export async function writeCodeCaches(): Promise<void> {
  const finishModules = recordModules(moduleCodeCachePath());
  const { cli, script } = compileCli(cliBundlePath());
  const sample = existsSync(SAMPLE);
  await runQuietly(cli, ['--help']);
  await runQuietly(cli, ['ps', '--help']);
  if (sample) {
    await runQuietly(cli, ['-f', SAMPLE, 'config']);
    await runQuietly(cli, ['-f', SAMPLE, 'config', '--json']);
  }
  writeFileSync(cliCodeCachePath(), script.createCachedData());
  if (sample) {
    const out = mkdtempSync(join(tmpdir(), 'shipshape-code-cache-'));
    try {
      await runQuietly(cli, ['-f', SAMPLE, 'synth', '-o', join(out, 'cdk.out')]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    await runQuietly(cli, ['-f', SAMPLE, 'ps'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  }
  writeFileSync(moduleCodeCachePath(), finishModules());
}
