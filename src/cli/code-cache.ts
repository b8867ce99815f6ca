import { existsSync, readFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

/**
 * The installed CLI starts from V8's code cache. Most of what `shipshape config` or `ps` costs
 * beyond Node's own start is compiling JavaScript: the bundle's ~1 MB, then each function as it
 * first runs (the YAML parser, zod, the model). Node 22 can cache compiled code itself
 * (`module.enableCompileCache`); Node 20, which shipshape supports, offers only `vm.Script`'s
 * `cachedData`, so the CLI is one CommonJS bundle (dist/bin/shipshape-core.cjs) that the launcher
 * (src/cli/launcher.ts) compiles through `vm.Script` with the cache `npm run build` made after
 * running sample commands (`cliCodeCacheSource`) — the cache then holds those functions compiled.
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

/** V8's code cache for the CLI bundle, made by the build (`cliCodeCacheSource`). */
export function cliCodeCachePath(): string {
  return fileURLToPath(new URL('../../dist/precompiled/cli.v8cache', import.meta.url));
}

/** Compile and run the CLI bundle as a CommonJS module, with `cachedData` when given. */
export function compileCli(file: string, cachedData?: Buffer): CompiledCli {
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
    // import() of ES-module packages (log-update, the AWS SDK) from inside the bundle.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as CliBundle };
  const load = script.runInThisContext() as (...args: unknown[]) => void;
  load(module.exports, createRequire(file), module, file, dirname(file));
  return { cli: module.exports, script, cacheRejected: cachedData ? script.cachedDataRejected : undefined };
}

/**
 * The commands the cache is made from: the light paths whose start-up is measured (bench/cli.ts).
 * `ps` needs an engine, so it is not run; it shares the model's code with `config`.
 */
function warmUpCommands(): string[][] {
  const sample = fileURLToPath(new URL('../../examples/web-api/compose.yaml', import.meta.url));
  const commands = [['--help'], ['ps', '--help']];
  if (existsSync(sample)) commands.push(['-f', sample, 'config'], ['-f', sample, 'config', '--json']);
  return commands;
}

/** The code cache for `cliCodeCachePath()`: the bundle compiled, run on sample commands, then cached. */
export async function cliCodeCacheSource(file = cliBundlePath()): Promise<Buffer> {
  const { cli, script } = compileCli(file);
  const { stdout, stderr } = process;
  const writes = [stdout.write, stderr.write] as const;
  const exitCode = process.exitCode;
  // The sample commands' output is not wanted in the build's.
  stdout.write = stderr.write = () => true;
  try {
    for (const argv of warmUpCommands()) await cli.main(argv);
  } finally {
    [stdout.write, stderr.write] = writes;
    process.exitCode = exitCode;
  }
  return script.createCachedData();
}
