// The build's second half (`npm run build` runs tsc first, which emits the library into dist/):
//
// 1. Work the CLI would otherwise redo on every start, done once, into dist/precompiled/:
//      compose-validator.cjs  the compose schema compiled by Ajv into standalone JavaScript
//      taggable-types.json    which CloudFormation types take tags, from the resource specification
//    Each records what it was made from (schema hash, specification version); on a mismatch the
//    CLI takes the slow path, so a stale file can cost time but never correctness.
//
// 2. The CLI bundle, dist/bin/shipshape.js (package.json "bin"): our code plus the small pure-JS
//    dependencies every command loads (commander, yaml, zod...) in a few files instead of ~300, which
//    is most of what `shipshape config` costs. Each command's action stays a separate chunk loaded
//    on demand (src/cli/commands/index.ts), and heavy dependencies (aws-cdk-lib, dockerode...) stay
//    external, loaded from node_modules only by the commands that use them.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { precompiledValidatorPath, precompiledValidatorSource } from '../dist/model/schema.js';
import { precompiledTagTablePath, precompiledTagTableSource } from '../dist/infra/tags.js';

const root = join(import.meta.dirname, '..');

mkdirSync(join(root, 'dist/precompiled'), { recursive: true });
writeFileSync(precompiledValidatorPath(), precompiledValidatorSource());
writeFileSync(precompiledTagTablePath(), await precompiledTagTableSource());

/** Dependencies compiled into the bundle: small, pure JavaScript, needed by `config` already. */
const BUNDLED = new Set(['commander', 'yaml', 'zod', 'dotenv', 'shell-quote', 'picocolors', 'picomatch']);
const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys(dependencies)
  .filter((d) => !BUNDLED.has(d))
  .flatMap((d) => [d, `${d}/*`]);

/**
 * aws-cdk-lib exports each class through a getter that loads its module on first use, so a synth
 * loads only the services it touches. Node's ES-module import of a CommonJS package reads every
 * named export up front: importing the nine aws-cdk-lib modules shipshape uses would load ~870
 * modules (~1.9 s). In the bundle, every external CommonJS package is therefore loaded with
 * require(), and the bundle reads each export only where the code uses it.
 */
const requireExternals = {
  name: 'require-externals',
  setup(b) {
    const packageOf = (path) =>
      path
        .split('/')
        .slice(0, path.startsWith('@') ? 2 : 1)
        .join('/');
    const isCommonJs = (pkg) =>
      JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')).type !== 'module';
    const cjs = new Set(Object.keys(dependencies).filter((d) => !BUNDLED.has(d) && isCommonJs(d)));
    b.onResolve({ filter: /^[@a-z]/ }, (args) => {
      if (!cjs.has(packageOf(args.path)) || args.kind === 'dynamic-import') return undefined;
      // From the stand-in below: the real package, left to Node's require at run time.
      if (args.namespace === 'require-externals') return { path: args.path, external: true };
      return { path: args.path, namespace: 'require-externals' };
    });
    b.onLoad({ filter: /.*/, namespace: 'require-externals' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

const outdir = join(root, 'dist/bin');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { shipshape: join(root, 'src/cli/main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [requireExternals],
  // Less to parse at every start; identifiers stay, so stack traces read without the source map.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked', // used with --debug (src/cli/main.ts turns source maps on)
  // Bundled CommonJS dependencies call require(); give the ES module bundle one.
  banner: {
    js: "import { createRequire as __ssCreateRequire } from 'node:module';\nconst require = __ssCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
