import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { Module } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import vm from 'node:vm';

/**
 * V8's code cache for the CommonJS packages the CLI requires from node_modules (aws-cdk-lib,
 * constructs, dockerode...). Compiling them is a large share of a synth: ~0.6 s of CPU to compile
 * the aws-cdk-lib modules web-api needs, before the functions a synth runs compile lazily. The
 * build runs sample commands and stores, for each module they required, V8's cache taken after
 * the run, so it holds the functions those commands compiled (`recordModules`); the launcher
 * then compiles those modules from it (`useModuleCache`).
 *
 * Why by hand: Node 22 has this built in (`module.enableCompileCache`), Node 20 does not, and the
 * package that did it for Node 20 (v8-compile-cache) caches at run time in a temp directory, keyed
 * by a hash of every file's source, which costs about as much as it saves for aws-cdk-lib.
 * Here the cache is made once at build time and an entry is used only for the file it was made
 * from (same size and modification time); V8 itself rejects a cache made by another V8 version
 * or with other flags. Either way the module then compiles as usual: a stale cache costs time,
 * never correctness.
 */

/** One module's cache: which file it was made from, and where its bytes are in the blob. */
interface Entry {
  /** Relative to the directory of the cache file. */
  readonly file: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly offset: number;
  readonly length: number;
}

/** The cache file: a 4-byte index length, the JSON index, then each module's bytes. */
const HEADER_BYTES = 4;

type Compile = (this: NodeModule, content: string, filename: string) => unknown;
const moduleProto = Module.prototype as unknown as { _compile: Compile };
const internals = Module as unknown as {
  _resolveFilename(request: string, parent: NodeModule, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: NodeModule): string[] | null;
  _extensions: NodeJS.RequireExtensions;
  _cache: NodeJS.Dict<NodeModule>;
};

/**
 * What Node's loader hands a module as `require`. Node keeps its own maker private; these are the
 * members it documents for `require` (resolve, resolve.paths, main, extensions, cache).
 */
function requireFor(module: NodeModule): NodeJS.Require {
  const require = ((id: string) => module.require(id)) as NodeJS.Require;
  const resolveFn = ((request: string, options?: unknown) =>
    internals._resolveFilename(request, module, false, options)) as NodeJS.RequireResolve;
  resolveFn.paths = (request: string) => internals._resolveLookupPaths(request, module);
  require.resolve = resolveFn;
  require.main = process.mainModule;
  require.extensions = internals._extensions;
  require.cache = internals._cache;
  return require;
}

/**
 * Compile CommonJS source through vm.Script (with `cachedData` when given) and run it as Node's
 * loader would, with `require` as the module's. The one place both caches compile code.
 */
export function runCommonJs(
  source: string,
  filename: string,
  module: { exports: unknown },
  require: NodeJS.Require,
  cachedData?: Buffer,
): vm.Script {
  const script = new vm.Script(Module.wrap(source), {
    filename,
    cachedData,
    // import() of ES-module packages (log-update, the AWS SDK...) from inside the code.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
  wrapper.call(module.exports, module.exports, require, module, filename, dirname(filename));
  return script;
}

const compileModule = (module: NodeModule, content: string, filename: string, cachedData?: Buffer) =>
  runCommonJs(content, filename, module, requireFor(module), cachedData);

/** Whether this module is one the caches cover: a plain CommonJS file from node_modules. */
const cacheable = (content: string, filename: string) =>
  filename.includes('/node_modules/') && filename.endsWith('.js') && !content.startsWith('#!');

/**
 * Whether CommonJS source may call import(). V8 drops a script's dynamic-import callback when it
 * compiles the script from a code cache made in another process (Node 20), so such code must not
 * run from one: import() would throw "A dynamic import callback was not specified". Crude on
 * purpose: a false positive (a method named import, a comment) only costs a module its cache.
 */
export const hasDynamicImport = (source: string): boolean => /(?<![\w$.])import\s*\(/.test(source);

/** What a module cache did so far in this process. */
export interface ModuleCacheStats {
  /** Modules compiled with a cache V8 accepted. */
  used: number;
  /** Modules whose cache V8 rejected (another V8 version or flags): compiled as usual. */
  rejected: number;
  /** Modules in the index whose file changed since the cache was made: compiled as usual. */
  stale: number;
}

/**
 * Compile cached modules from `cacheFile` from now on. Missing or unreadable: nothing changes.
 * The index is read now; each module's bytes only when that module loads.
 */
export function useModuleCache(cacheFile: string): ModuleCacheStats {
  const stats: ModuleCacheStats = { used: 0, rejected: 0, stale: 0 };
  let fd: number | undefined;
  let index: Map<string, Entry>;
  let dataStart: number;
  try {
    fd = openSync(cacheFile, 'r');
    const head = Buffer.alloc(HEADER_BYTES);
    readSync(fd, head, 0, HEADER_BYTES, 0);
    const indexLength = head.readUInt32LE(0);
    if (HEADER_BYTES + indexLength > fstatSync(fd).size) throw new Error(`${cacheFile}: not a module cache`);
    const json = Buffer.alloc(indexLength);
    readSync(fd, json, 0, json.length, HEADER_BYTES);
    const base = dirname(cacheFile);
    const entries = JSON.parse(json.toString('utf8')) as Entry[];
    index = new Map(entries.map((e) => [resolve(base, e.file), e]));
    dataStart = HEADER_BYTES + json.length;
  } catch {
    if (fd !== undefined) closeSync(fd);
    return stats;
  }
  const cache = fd;
  const original = moduleProto._compile;
  moduleProto._compile = function (this: NodeModule, content: string, filename: string) {
    const entry = index.get(filename);
    if (!entry || !cacheable(content, filename)) return original.call(this, content, filename);
    const stat = statSync(filename, { throwIfNoEntry: false });
    if (stat?.size !== entry.size || stat.mtimeMs !== entry.mtimeMs) {
      stats.stale++;
      return original.call(this, content, filename);
    }
    const data = Buffer.alloc(entry.length);
    readSync(cache, data, 0, entry.length, dataStart + entry.offset);
    const script = compileModule(this, content, filename, data);
    if (script.cachedDataRejected) stats.rejected++;
    else stats.used++;
    return undefined;
  };
  process.once('exit', () => closeSync(cache));
  return stats;
}

/**
 * Compile every cacheable module required from now on through vm.Script, and return a function
 * that writes their code caches, taken at that moment, as one cache file's bytes.
 */
export function recordModules(cacheFile: string): () => Buffer {
  const scripts = new Map<string, vm.Script>();
  const original = moduleProto._compile;
  moduleProto._compile = function (this: NodeModule, content: string, filename: string) {
    if (!cacheable(content, filename) || hasDynamicImport(content))
      return original.call(this, content, filename);
    scripts.set(filename, compileModule(this, content, filename));
    return undefined;
  };
  return () => {
    moduleProto._compile = original;
    const base = dirname(cacheFile);
    const entries: Entry[] = [];
    const chunks: Buffer[] = [];
    let offset = 0;
    for (const [filename, script] of scripts) {
      const data = script.createCachedData();
      const { size, mtimeMs } = statSync(filename);
      entries.push({ file: relative(base, filename), size, mtimeMs, offset, length: data.length });
      chunks.push(data);
      offset += data.length;
    }
    const json = Buffer.from(JSON.stringify(entries), 'utf8');
    const head = Buffer.alloc(HEADER_BYTES);
    head.writeUInt32LE(json.length, 0);
    return Buffer.concat([head, json, ...chunks]);
  };
}
