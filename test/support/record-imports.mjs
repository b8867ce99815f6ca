// Preload (`node --import ./test/support/record-imports.mjs ...`) that writes every module the
// process loads to the file named by RECORD_IMPORTS, one path or URL per line: ES modules as the
// loader resolves them (a hook, so nothing escapes, whatever imports it), CommonJS modules from the
// require cache when the process exits (that also catches what CommonJS packages require).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import process from 'node:process';

const file = process.env.RECORD_IMPORTS;
if (file) {
  register('./record-imports-hooks.mjs', import.meta.url, { data: { file } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => appendFileSync(file, `${Object.keys(require.cache).join('\n')}\n`));
}
