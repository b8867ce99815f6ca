/**
 * The installed CLI (the bundle `npm run build` writes to dist/bin) loads only what each command
 * needs: nothing from node_modules for `--version`, the precompiled schema validator and no Ajv
 * compiler for `config`, dockerode without gRPC, ssh2 or tar-fs for `ps`. Speed itself is measured
 * in bench/cli.ts, never asserted here.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HEAVY_PACKAGES, loadedModules, packagesIn } from '../support/startup.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'dist/bin/shipshape.js');
const webApi = join(root, 'examples/web-api');
const run = (args: string[]) => loadedModules([], bin, args, webApi);

beforeAll(() => {
  if (!existsSync(bin))
    throw new Error(`${bin} is missing: run \`npm run build\` first (scripts/test.sh does)`);
});

describe('built CLI start-up', () => {
  it('--version and --help load nothing from node_modules', () => {
    for (const args of [['--version'], ['--help']]) {
      const r = run(args);
      expect(r.code, r.stderr).toBe(0);
      expect([...packagesIn(r.modules)], args[0]).toEqual([]);
    }
  });

  it('config uses the precompiled validator: Ajv runtime helpers only, no compiler, nothing heavy', () => {
    const r = run(['config']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.modules.some((m) => m.endsWith('/dist/precompiled/compose-validator.cjs'))).toBe(true);
    const ajv = r.modules.filter((m) => m.includes('/node_modules/ajv/'));
    expect(
      ajv.every((m) => m.includes('/node_modules/ajv/dist/runtime/')),
      ajv.join('\n'),
    ).toBe(true);
    const packages = packagesIn(r.modules);
    for (const heavy of HEAVY_PACKAGES) expect(packages.has(heavy), `config loaded ${heavy}`).toBe(false);
  });

  it('ps loads dockerode but not what only builds or ssh engines need', () => {
    const r = run(['ps']);
    expect(r.code, r.stderr).toBe(0);
    const packages = packagesIn(r.modules);
    expect(packages.has('dockerode')).toBe(true);
    // tar-fs sits in the require cache as a stand-in (src/engine/dockerode.ts) until a build needs
    // it: its entry point is listed, the tar-stream it requires is not.
    const allowed = new Set(['dockerode', 'docker-modem', 'tar-fs']);
    for (const heavy of HEAVY_PACKAGES.filter((p) => !allowed.has(p))) {
      expect(packages.has(heavy), `ps loaded ${heavy}`).toBe(false);
    }
  });
});
