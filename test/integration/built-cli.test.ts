/**
 * The installed CLI (the bundle `npm run build` writes to dist/bin, see scripts/build.mjs):
 * - it loads only what each command needs: nothing from node_modules for `--version`, the
 *   precompiled schema validator and no Ajv compiler for `config`, dockerode without gRPC, ssh2 or
 *   tar-fs for `ps` (speed itself is measured in bench/cli.ts, never asserted here);
 * - it starts from the code caches the build made (the bundle's and the required modules'), which
 *   V8 accepts in a fresh process, and a cache V8 rejects costs only time;
 * - its synth, with cdk-nag bundled and seeing aws-cdk-lib through instanceofView, writes the same
 *   templates and reaches the same policy-gate verdict, rule by rule, as the library.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize, type SynthResult } from '../../src/infra/synth.js';
import { loadApp } from '../../src/model/load.js';
import { HEAVY_PACKAGES, loadedModules, packagesIn } from '../support/startup.js';
import { hasDynamicImport } from '../../src/cli/module-cache.js';

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
    // Ajv's package.json is read for its version (part of the validator's fingerprint).
    const ajv = r.modules.filter((m) => m.includes('/node_modules/ajv/') && !m.endsWith('/package.json'));
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

describe('built CLI code cache', () => {
  /** In a fresh Node process: the bundle compiled with `cacheFile`, then `--version`. */
  const startWith = (cacheFile: string) => {
    const codeCache = join(root, 'dist/cli/code-cache.js');
    const script = `
      import { readFileSync } from 'node:fs';
      import { cliBundlePath, compileCli } from ${JSON.stringify(codeCache)};
      const { cli, cacheRejected } = compileCli(cliBundlePath(), readFileSync(${JSON.stringify(cacheFile)}));
      const code = await cli.main(['--version']);
      console.log(JSON.stringify({ cacheRejected, code }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    return { printed: lines[0], ...(JSON.parse(lines.at(-1)!) as { cacheRejected: boolean; code: number }) };
  };

  it('V8 accepts the build-made cache in another process; a rejected one still runs the CLI', () => {
    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(startWith(join(root, 'dist/precompiled/cli.v8cache'))).toEqual({
      printed: version,
      cacheRejected: false,
      code: 0,
    });
    const tmp = mkdtempSync(join(tmpdir(), 'shipshape-cache-'));
    try {
      const junk = join(tmp, 'junk.v8cache');
      writeFileSync(junk, Buffer.alloc(4096, 7));
      expect(startWith(junk)).toEqual({ printed: version, cacheRejected: true, code: 0 });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('built CLI: the AWS verbs from the code cache', () => {
  // V8 drops a script's dynamic-import callback when it compiles it from a code cache made in
  // another process, so an import() left in the bundle crashed deploy, diff and destroy here
  // (and only here: --debug and the library load differently).
  it('deploy, diff and destroy load the AWS SDK and the toolkit: a dead endpoint is exit 3, not a bug', () => {
    const env = {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    for (const args of [['deploy', '--yes'], ['diff'], ['destroy', '--yes']]) {
      const verb = args[0];
      const r = spawnSync(process.execPath, [bin, ...args], {
        cwd: webApi,
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', ...env },
        timeout: 120_000,
      });
      expect(r.stderr, verb).toMatch(/cannot reach AWS in us-east-1/);
      expect(r.stderr, verb).not.toMatch(/bug|dynamic import/i);
      expect(r.status, verb).toBe(3);
    }
  });

  it('the bundle has no import() left', () => {
    expect(hasDynamicImport(readFileSync(join(root, 'dist/bin/shipshape-core.cjs'), 'utf8'))).toBe(false);
  });
});

describe('built CLI module cache', () => {
  it("V8 accepts the build's cache for aws-cdk-lib's modules in another process", () => {
    const script = `
      import { createRequire } from 'node:module';
      import { moduleCodeCachePath } from ${JSON.stringify(join(root, 'dist/cli/code-cache.js'))};
      import { useModuleCache } from ${JSON.stringify(join(root, 'dist/cli/module-cache.js'))};
      const stats = useModuleCache(moduleCodeCachePath());
      const { App, Stack } = createRequire(${JSON.stringify(bin)})('aws-cdk-lib');
      new Stack(new App(), 'Probe');
      console.log(JSON.stringify(stats));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const stats = JSON.parse(r.stdout) as { used: number; rejected: number; stale: number };
    expect(stats.used).toBeGreaterThan(20);
    expect(stats).toMatchObject({ rejected: 0, stale: 0 });
  });
});

describe('built CLI synth', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'shipshape-built-synth-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const rules = (r: Pick<SynthResult, 'nag'>) => r.nag!.acknowledged.map((a) => `${a.rule} ${a.path}`).sort();

  it.each([
    ['web-api', join(root, 'examples/web-api')],
    ['postgres fixture', join(root, 'test/fixtures/infra/postgres')],
  ])('%s: same templates and policy-gate verdict as the library', async (name, dir) => {
    const cliOut = join(tmp, `${name}-cli`);
    const r = spawnSync(process.execPath, [bin, 'synth', '-o', cliOut, '--json'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
      timeout: 300_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const cli = JSON.parse(r.stdout) as SynthResult;
    const lib = await synthesize(loadApp([join(dir, 'compose.yaml')]), { outdir: join(tmp, `${name}-lib`) });
    expect(cli.nag!.findings).toEqual([]);
    // Acknowledged rules were evaluated and found the resource non-compliant: the same ones, on the
    // same constructs, as with cdk-nag loaded the ordinary way.
    expect(rules(cli).length).toBeGreaterThan(3);
    expect(rules(cli)).toEqual(rules(lib));
    expect(cli.stacks.map((s) => s.name)).toEqual(lib.stacks.map((s) => s.name));
    for (const [i, stack] of cli.stacks.entries()) {
      const template = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as unknown;
      expect(template(stack.templateFile)).toEqual(template(lib.stacks[i]!.templateFile));
      expect(readFileSync(stack.yamlFile, 'utf8')).toEqual(readFileSync(lib.stacks[i]!.yamlFile, 'utf8'));
    }
  });
});
