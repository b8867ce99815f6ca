/**
 * Golden normalized models of the examples. Regenerate after an intended change with
 * `UPDATE_GOLDEN=1 npx vitest run test/unit/model/golden.test.ts` and review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { printableModel } from '../../../src/cli/actions/config.js';
import { loadApp } from '../../../src/model/load.js';

const root = resolve(import.meta.dirname, '../../..');

describe.each(['hello-lb', 'web-api'])('example %s', (example) => {
  it('normalizes to its golden model', () => {
    const dir = join(root, 'examples', example);
    const app = loadApp([], { cwd: dir, env: {} });
    expect(app.warnings).toEqual([]);
    // Paths are machine-specific; the golden file holds them relative to the repository.
    const json = JSON.stringify(printableModel(app), null, 2).replaceAll(root, '<repo>');
    const golden = join(root, 'test', 'golden', `${example}.json`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, `${json}\n`);
    expect(existsSync(golden), `missing ${golden}; create it with UPDATE_GOLDEN=1`).toBe(true);
    expect(json).toBe(readFileSync(golden, 'utf8').trimEnd());
  });
});
