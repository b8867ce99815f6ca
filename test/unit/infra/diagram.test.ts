import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileElk, elkCodeCacheSource } from '../../../src/infra/diagram.js';

const require = createRequire(import.meta.url);
const ELK_FILE = require.resolve('elkjs/lib/elk.bundled.js');
const dir = mkdtempSync(join(tmpdir(), 'shipshape-elk-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** In a fresh Node process (no in-process compilation cache): compile ELK with `cacheFile`, lay out, report. */
function compileElsewhere(cacheFile: string): { rejected: boolean; laidOut: boolean } {
  const probe = `
const fs = require('node:fs'), vm = require('node:vm'), path = require('node:path'), M = require('node:module');
const file = ${JSON.stringify(ELK_FILE)};
const s = new vm.Script(M.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData: fs.readFileSync(${JSON.stringify(cacheFile)}) });
const m = { exports: {} };
s.runInThisContext()(m.exports, M.createRequire(file), m, file, path.dirname(file));
new m.exports().layout({ id: 'r', children: [{ id: 'a', width: 9, height: 9 }], edges: [] })
  .then((laid) => console.log(JSON.stringify({ rejected: s.cachedDataRejected, laidOut: typeof laid.children[0].x === 'number' })));
`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(r.stdout) as { rejected: boolean; laidOut: boolean };
}

describe('the layout engine and its code cache', () => {
  it('the code cache the build makes is accepted by V8 in another process, which then lays out a graph', async () => {
    const cacheFile = join(dir, 'elk.v8cache');
    writeFileSync(cacheFile, await elkCodeCacheSource());
    expect(compileElsewhere(cacheFile)).toEqual({ rejected: false, laidOut: true });
    const junk = join(dir, 'junk.v8cache');
    writeFileSync(junk, 'not a code cache');
    expect(compileElsewhere(junk)).toEqual({ rejected: true, laidOut: true });
  });

  it('compiles ELK as the worker does', async () => {
    const { ELK } = compileElk(ELK_FILE, undefined, require);
    const laid = await new ELK().layout({ id: 'r', children: [{ id: 'a', width: 9, height: 9 }], edges: [] });
    expect(typeof laid.children?.[0]?.x).toBe('number');
  });
});

describe('the layout worker', () => {
  it('lays out in its worker thread even in a process started with --input-type=module -e', () => {
    const diagram = join(import.meta.dirname, '../../../src/infra/diagram.ts');
    const script = `
      import { createRequire } from 'node:module';
      import { renderDiagram } from ${JSON.stringify(diagram)};
      const svg = await renderDiagram({ nodes: [{ id: 'web', label: 'web', kind: 'public' }], edges: [] }, 'probe');
      const inMain = Object.keys(createRequire(import.meta.url).cache).some((m) => m.includes('elkjs'));
      console.log(JSON.stringify({ svg: svg.startsWith('<svg'), elkInMainThread: inMain }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: join(import.meta.dirname, '../../..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ svg: true, elkInMainThread: false });
  });
});
