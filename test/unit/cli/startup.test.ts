/**
 * `--help`, `--version` and `config` must stay instant: they may not load CDK, the Docker client or
 * anything else only other commands need (src/cli/commands/index.ts says how commands stay lazy).
 * Each case runs the CLI from source and records every module the process loaded.
 */
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEAVY_PACKAGES, loadedModules, packagesIn } from '../../support/startup.js';

const root = resolve(import.meta.dirname, '../../..');
const run = (args: string[]) =>
  loadedModules(['--import', import.meta.resolve('tsx')], join(root, 'src/cli/main.ts'), args, root);

/** Our own source files among the loaded modules, relative to src/. */
const ownModules = (modules: string[]) =>
  modules.filter((m) => m.includes('/src/')).map((m) => m.replace(/^.*\/src\//, ''));

describe('CLI start-up loads only what the command needs', () => {
  it.each(['--version', '--help', 'config --help'])('%s: no app model, no heavy module', (line) => {
    const args = line.split(' ');
    const r = run(args);
    expect(r.code, r.stderr).toBe(0);
    const packages = packagesIn(r.modules);
    for (const heavy of [...HEAVY_PACKAGES, 'yaml', 'zod', 'ajv', 'dotenv']) {
      expect(packages.has(heavy), `${args.join(' ')} loaded ${heavy}`).toBe(false);
    }
    expect(ownModules(r.modules).filter((m) => /^(model|engine|infra|local|slim)\//.test(m))).toEqual([
      'model/errors.ts',
    ]);
  });

  it('config loads the model and nothing heavy', () => {
    const r = run(['config', '-f', 'examples/web-api/compose.yaml']);
    expect(r.code, r.stderr).toBe(0);
    const packages = packagesIn(r.modules);
    // The recorder sees what config loads: yaml through require, zod as an ES module.
    expect(packages.has('yaml')).toBe(true);
    expect(packages.has('zod')).toBe(true);
    for (const heavy of HEAVY_PACKAGES) expect(packages.has(heavy), `config loaded ${heavy}`).toBe(false);
    const own = ownModules(r.modules);
    expect(own).toContain('model/load.ts');
    expect(own.filter((m) => /^(engine|infra|local|slim)\//.test(m))).toEqual([]);
  });

  it('the recorder catches a heavy module: ps loads the Docker client', () => {
    // ps fails on the missing compose file, but its action module (and dockerode) loaded first.
    const r = run(['ps', '-f', 'no-such-file.yaml']);
    expect(r.code).toBe(2);
    expect(packagesIn(r.modules).has('dockerode')).toBe(true);
  });
});
