// The build's second half (`npm run build` runs tsc first, which emits the library into dist/):
//
// 1. Work the CLI would otherwise redo on every start, done once, into dist/precompiled/:
//      compose-validator.cjs  the compose schema compiled by Ajv into standalone JavaScript
//      taggable-types.json    which CloudFormation types take tags, from the resource specification
//      resource-facts.json    which types hold state and which properties name them (same source)
//      elk.v8cache            V8's code cache of the diagram's layout engine (see src/infra/diagram.ts)
//    Each records what it was made from (schema hash, specification version); on a mismatch the
//    CLI takes the slow path, so a stale file can cost time but never correctness.
//
// 2. The CLI bundle, dist/bin/shipshape-core.cjs: our code plus the small pure-JS dependencies
//    every command loads (commander, yaml, zod...) in one file instead of ~300. Each command's
//    action is initialised only when it runs (src/cli/commands/index.ts), and heavy dependencies
//    (aws-cdk-lib, dockerode...) stay external, loaded from node_modules only by the commands that
//    use them. Its launcher, dist/bin/shipshape.js (package.json "bin"), runs it from V8's code
//    caches, made last by running sample commands (src/cli/code-cache.ts): cli.v8cache for the
//    bundle, modules.v8cache for the CommonJS packages it requires (src/cli/module-cache.ts).
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { precompiledValidatorPath, precompiledValidatorSource } from '../dist/model/schema.js';
import { precompiledTagTablePath, precompiledTagTableSource } from '../dist/infra/tags.js';
import { precompiledFactsPath, precompiledFactsSource } from '../dist/infra/resource-facts.js';
import { elkCodeCachePath, elkCodeCacheSource } from '../dist/infra/diagram.js';
import { cdkLibFile } from '../dist/infra/nag.js';
import { hasDynamicImport } from '../dist/cli/module-cache.js';

const root = join(import.meta.dirname, '..');

mkdirSync(join(root, 'dist/precompiled'), { recursive: true });
writeFileSync(precompiledValidatorPath(), precompiledValidatorSource());
writeFileSync(precompiledTagTablePath(), await precompiledTagTableSource());
writeFileSync(precompiledFactsPath(), await precompiledFactsSource());
writeFileSync(elkCodeCachePath(), await elkCodeCacheSource());

/**
 * Dependencies compiled into the bundle: small, pure JavaScript, needed by `config` already (the
 * model reads Dockerfiles with dockerfile-ast, ~25 files with its vscode-languageserver types); and
 * cdk-nag, whose 270 small files cost more to load one by one than their code (see cdkNag below).
 */
const BUNDLED = new Set([
  'commander',
  'yaml',
  'zod',
  'dotenv',
  'shell-quote',
  'picocolors',
  'picomatch',
  'dockerfile-ast',
  'cdk-nag',
  // ES-module only: bundled so that the CLI needs no import() at all (see the CLI build below).
  'log-update',
]);
const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const external = Object.keys(dependencies)
  .filter((d) => !BUNDLED.has(d))
  .flatMap((d) => [d, `${d}/*`]);

/**
 * cdk-nag, bundled: each rule takes its name from its file name (`parse(__filename).name`), so every
 * file keeps its own name; and each aws-cdk-lib service module it requires is handed to it through
 * instanceofView (src/infra/nag.ts), so rules for services the app does not use do not load their
 * L1 modules. The build checks the view's premise: each Cfn* class cdk-nag names is the class
 * defined in the file instanceofView watches for it.
 */
const cdkNag = {
  name: 'cdk-nag',
  setup(b) {
    const nagRoot = dirname(createRequire(join(root, 'package.json')).resolve('cdk-nag/package.json'));
    const used = new Map(); // aws-cdk-lib service → Cfn* names the rules use
    b.onLoad({ filter: /[\\/]node_modules[\\/]cdk-nag[\\/].*\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      for (const [, variable, service] of source.matchAll(
        /const (\w+) = require\("aws-cdk-lib\/(aws-[\w-]+)"\)/g,
      )) {
        const names = used.get(service) ?? new Set();
        for (const [, name] of source.matchAll(new RegExp(`\\b${variable}\\.(Cfn\\w+)`, 'g')))
          names.add(name);
        used.set(service, names);
      }
      const file = JSON.stringify(`cdk-nag/${relative(nagRoot, args.path).replaceAll('\\', '/')}`);
      return {
        contents: source.replace(/\b__filename\b/g, file).replace(/^\/\/# sourceMappingURL=.*$/m, ''),
        loader: 'js',
      };
    });
    b.onResolve({ filter: /^aws-cdk-lib\/aws-[\w-]+$/ }, (args) =>
      /[\\/]node_modules[\\/]cdk-nag[\\/]/.test(args.importer)
        ? { path: args.path, namespace: 'nag-view' }
        : undefined,
    );
    const cdkRoot = dirname(createRequire(join(root, 'package.json')).resolve('aws-cdk-lib/package.json'));
    /** Cfn* class name → the file (inside aws-cdk-lib) that defines it, for one service. */
    const classFiles = (service) => {
      const map = {};
      for (const f of readdirSync(join(cdkRoot, service, 'lib')).filter((f) => f.endsWith('.generated.js'))) {
        const path = `${service}/lib/${f}`;
        for (const [, name] of readFileSync(join(cdkRoot, path), 'utf8').matchAll(/\bclass (Cfn\w+)/g)) {
          map[name] = path;
        }
      }
      return map;
    };
    const views = new Map(); // service → its classFiles map, as handed to instanceofView
    b.onLoad({ filter: /.*/, namespace: 'nag-view' }, (args) => {
      const service = args.path.split('/')[1];
      views.set(service, classFiles(service));
      return {
        contents: [
          `const { instanceofView } = require(${JSON.stringify(join(root, 'src/infra/nag.ts'))});`,
          `module.exports = instanceofView(require(${JSON.stringify(args.path)}), ${JSON.stringify(views.get(service))});`,
        ].join('\n'),
        loader: 'js',
        resolveDir: root,
      };
    });
    b.onEnd(() => {
      const require = createRequire(join(root, 'package.json'));
      for (const [service, names] of used) {
        const index = require(`aws-cdk-lib/${service}`);
        for (const name of names) {
          const file = views.get(service)?.[name];
          if (!file || index[name] !== require(cdkLibFile(file))[name]) {
            throw new Error(`cdk-nag view: aws-cdk-lib/${service}.${name} is not the class in ${file}`);
          }
        }
      }
      if (used.size < 40)
        throw new Error(`cdk-nag view: found only ${used.size} aws-cdk-lib modules in cdk-nag`);
    });
  },
};

const outdir = join(root, 'dist/bin');
rmSync(outdir, { recursive: true, force: true });
// The code caches are made again below, from this build's bundle; none may outlive a failed build.
for (const cache of ['cli.v8cache', 'modules.v8cache'])
  rmSync(join(root, 'dist/precompiled', cache), { force: true });
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external,
  // Less to parse at every start; identifiers stay, so stack traces read without the source map.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked', // used with --debug (src/cli/launcher.ts then loads the bundle with source maps on)
  logLevel: 'warning',
};
// The CLI itself: one CommonJS file, so the launcher can run it from V8's code cache (see
// src/cli/code-cache.ts). Each command's action is still initialised only when the command runs.
await build({
  ...common,
  entryPoints: [join(root, 'src/cli/entry.ts')],
  outfile: join(outdir, 'shipshape-core.cjs'),
  format: 'cjs',
  // aws-cdk-lib exports each class through a getter that loads its module on first use; as a
  // CommonJS bundle reads an external's export only where the code uses it, a synth loads only the
  // aws-cdk-lib services it touches (an ES module's import would read all ~870 modules, ~1.9 s).
  plugins: [cdkNag],
  // No import() in the bundle: V8 drops a script's dynamic-import callback when it compiles the
  // script from a code cache made in another process (Node 20: "A dynamic import callback was not
  // specified"), so each import() of an external becomes a require(). Every external is CommonJS;
  // the one ES-module-only dependency (log-update) is bundled instead. Checked after the build.
  supported: { 'dynamic-import': false },
  // The code reads import.meta.url for files next to it (the precompiled validator...).
  define: { 'import.meta.url': '__ssModuleUrl' },
  banner: { js: "const __ssModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
if (hasDynamicImport(readFileSync(join(outdir, 'shipshape-core.cjs'), 'utf8')))
  throw new Error('CLI bundle: an import() is left in it; it would fail when run from the code cache');
// The launcher (package.json "bin"), then the code cache it starts from.
await build({
  ...common,
  entryPoints: { shipshape: join(root, 'src/cli/launcher.ts') },
  outdir,
  format: 'esm',
});
// In a process of its own, so that every module the sample commands require compiles there.
const caching = spawnSync(
  process.execPath,
  ['--input-type=module', '-e', "await (await import('./dist/cli/code-cache.js')).writeCodeCaches()"],
  { cwd: root, stdio: 'inherit' },
);
// Without the caches the CLI is correct, only slower: a failure here warns instead of failing the
// build (test/integration/built-cli.test.ts fails when the caches are missing).
if (caching.status !== 0)
  process.stderr.write(
    `build: warning: making the CLI's code caches failed (exit ${caching.status}); the CLI runs without them, slower\n`,
  );
