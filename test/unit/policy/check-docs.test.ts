import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../../src/policy/rules/catalog.js';

describe('docs/check.md', () => {
  it('documents every rule with its severity', () => {
    const doc = readFileSync(new URL('../../../docs/check.md', import.meta.url), 'utf8');
    for (const r of RULES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${r.id}\` |`));
      expect(row, `${r.id} is not documented`).toBeDefined();
      expect(row, r.id).toContain(r.severity);
      expect(row, r.id).toContain(r.name);
    }
  });
});
