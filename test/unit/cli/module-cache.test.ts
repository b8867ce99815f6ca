/**
 * The required-modules code cache (src/cli/module-cache.ts), in fresh Node processes as the CLI
 * uses it: recorded after a run, then used; a file changed since is compiled from its source, and
 * a cache that cannot be read changes nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const moduleCache = resolve(import.meta.dirname, '../../../src/cli/module-cache.ts');
const dir = mkdtempSync(join(tmpdir(), 'shipshape-module-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pkg = join(dir, 'node_modules/demo');
mkdirSync(pkg, { recursive: true });
writeFileSync(
  join(pkg, 'index.js'),
  "const dep = require('./dep');\nmodule.exports = { value: dep.value * 2, dir: __dirname, dep: require.resolve('./dep') };\n",
);
const writeDep = (value: number) => writeFileSync(join(pkg, 'dep.js'), `exports.value = ${value};\n`);
const cacheFile = join(dir, 'modules.v8cache');

/** In a fresh process: `setup` (record or use the cache), then require the demo package. */
function inFreshProcess(setup: string): {
  result: { value: number; dir: string; dep: string };
  stats: unknown;
} {
  const script = `
    import { createRequire } from 'node:module';
    import { writeFileSync } from 'node:fs';
    import { recordModules, useModuleCache } from ${JSON.stringify(moduleCache)};
    let stats;
    ${setup}
    const result = createRequire(${JSON.stringify(join(dir, 'main.js'))})('demo');
    if (typeof finish === 'function') writeFileSync(${JSON.stringify(cacheFile)}, finish());
    console.log(JSON.stringify({ result, stats }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: resolve(import.meta.dirname, '../../..'),
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as ReturnType<typeof inFreshProcess>;
}

describe('module code cache', () => {
  it('records modules after a run; a fresh process compiles them from it, with the same results', () => {
    writeDep(21);
    const recorded = inFreshProcess(`const finish = recordModules(${JSON.stringify(cacheFile)});`);
    const expected = { value: 42, dir: pkg, dep: join(pkg, 'dep.js') };
    expect(recorded.result).toEqual(expected);
    const used = inFreshProcess(`stats = useModuleCache(${JSON.stringify(cacheFile)});`);
    expect(used).toEqual({ result: expected, stats: { used: 2, rejected: 0, stale: 0 } });
  });

  it('a file changed since, even to the same length, is compiled from its source', () => {
    writeDep(21);
    inFreshProcess(`const finish = recordModules(${JSON.stringify(cacheFile)});`);
    writeDep(50); // same length as 21; its modification time differs
    const used = inFreshProcess(`stats = useModuleCache(${JSON.stringify(cacheFile)});`);
    expect(used.result.value).toBe(100);
    expect(used.stats).toEqual({ used: 1, rejected: 0, stale: 1 });
  });

  it('a missing or unreadable cache changes nothing', () => {
    writeDep(21);
    for (const file of [join(dir, 'missing.v8cache'), join(dir, 'junk.v8cache')]) {
      if (file.endsWith('junk.v8cache')) writeFileSync(file, Buffer.alloc(64, 0xff));
      const used = inFreshProcess(`stats = useModuleCache(${JSON.stringify(file)});`);
      expect(used).toEqual({
        result: { value: 42, dir: pkg, dep: join(pkg, 'dep.js') },
        stats: { used: 0, rejected: 0, stale: 0 },
      });
    }
  });
});
