import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import { runCheck } from '../../../src/policy/check.js';
import { toSarif } from '../../../src/policy/sarif.js';
import { composeDir } from '../../support/compose-dir.js';

/** The SARIF 2.1.0 JSON schema as a package ships it (Microsoft's SARIF SDK), not copied by hand. */
function sarifValidator() {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  // The schema's `language` pattern is not valid under the u flag (it predates it).
  // Both packages are CommonJS with a `default` export property (NodeNext types see the module).
  const ajv = new ajvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  ajvFormats.default(ajv);
  return ajv.compile(schema);
}

describe('shipshape check --format sarif', () => {
  it('is valid SARIF 2.1.0 with rules, help, locations and suppressions', async () => {
    const dir = composeDir({
      'compose.yaml': `x-shipshape:
  acknowledge:
    - rule: plain-secret
      reason: demo credentials for a throwaway database
services:
  web:
    build: .
    ports: ['80:8080']
    environment:
      DB_PASSWORD: hunter2
`,
      Dockerfile: 'FROM node\nCMD ["node"]\n',
    });
    const r = await runCheck(loadApp([`${dir}/compose.yaml`]), { families: ['compose', 'dockerfile'] });
    const log = JSON.parse(JSON.stringify(toSarif(r.findings, r.rules, dir)));
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors, null, 2)).toBe(true);

    const run = log.runs[0];
    expect(log.version).toBe('2.1.0');
    expect(run.tool.driver.name).toBe('shipshape');
    const ruleIds = run.tool.driver.rules.map((x: { id: string }) => x.id);
    for (const f of r.findings) expect(ruleIds).toContain(f.ruleId);
    for (const rule of run.tool.driver.rules) {
      expect(rule.help.text.length, rule.id).toBeGreaterThan(20);
      expect(Number(rule.properties['security-severity'])).toBeGreaterThan(0);
    }
    expect(run.results.length).toBe(r.findings.length);
    for (const res of run.results) {
      const loc = res.locations[0].physicalLocation;
      expect(['compose.yaml', 'Dockerfile']).toContain(loc.artifactLocation.uri);
      expect(loc.region.startLine).toBeGreaterThan(0);
    }
    const secret = run.results.find((x: { ruleId: string }) => x.ruleId === 'SS-COMPOSE-008');
    expect(secret.suppressions).toEqual([
      { kind: 'inSource', justification: 'demo credentials for a throwaway database' },
    ]);
    expect(secret.locations[0].physicalLocation.region.startLine).toBe(10);
    const unpinned = run.results.find((x: { ruleId: string }) => x.ruleId === 'SS-DOCKERFILE-002');
    expect(unpinned.level).toBe('warning');
    expect(unpinned.suppressions).toBeUndefined();
  });

  it('rejects what is not SARIF (the validator is not a rubber stamp)', () => {
    const validate = sarifValidator();
    expect(validate({ version: '2.1.0', runs: [{ tool: {} }] })).toBe(false);
  });
});
