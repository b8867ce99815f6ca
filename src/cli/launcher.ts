#!/usr/bin/env -S node --
// The installed CLI's entry point (dist/bin/shipshape.js): it runs the CLI bundle from V8's code
// cache (see src/cli/code-cache.ts). `--` ends Node's own options: Node 20 otherwise takes a
// user's `--env-file` (even after the script name) as its own. bin/shipshape launches the same way.
import { createRequire } from 'node:module';
import {
  type CliBundle,
  cliBundlePath,
  cliCodeCachePath,
  compileCli,
  freshCodeCache,
  moduleCodeCachePath,
} from './code-cache.js';
import { useModuleCache } from './module-cache.js';

/** The CLI bundle, from the code caches the build made (none: compiled as usual). */
function fromCodeCache(): CliBundle {
  const bundle = cliBundlePath();
  useModuleCache(moduleCodeCachePath());
  return compileCli(bundle, freshCodeCache(bundle, cliCodeCachePath())).cli;
}

/**
 * With --debug, through Node's own loader instead: Node 20 maps stack traces through source maps
 * for required modules but not for `vm.Script`s, and a debugging session can spare the time.
 */
function withSourceMaps(): CliBundle {
  process.setSourceMapsEnabled(true);
  return createRequire(import.meta.url)(cliBundlePath()) as CliBundle;
}

const cli = process.argv.includes('--debug') ? withSourceMaps() : fromCodeCache();
process.exitCode = await cli.main(process.argv.slice(2));
