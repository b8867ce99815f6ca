/**
 * The prod profile's templates (`shipshape synth --env prod`, a domain in a Route 53 hosted zone)
 * checked by the real oracles in /opt/shipshape-venv: cfn-lint reports no error, and checkov no
 * failed check; every check it skips is acknowledged in code with a reason (Metadata.checkov) and
 * listed in docs/deploy.md, so the documentation cannot fall behind the code.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkov, expectSkipsDocumented } from '../support/checkov.js';
import { shipshape } from '../support/cli.js';

const root = resolve(import.meta.dirname, '../..');
const VENV = process.env.SHIPSHAPE_VENV ?? '/opt/shipshape-venv';
const tmp = mkdtempSync(join(tmpdir(), 'shipshape-prod-it-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PROD = `x-shipshape:
  environments:
    prod:
      aws:
        domain: app.example.com
        hosted-zone: { id: Z0123456789ABCDEFGHIJ, name: example.com }
`;

// web-api only: the second example adds ~40 s to CI and no construct web-api lacks (hello-lb:
// 78 passed, 0 failed, the same 3 documented skips when measured).
describe.each(['web-api'])('prod profile templates: %s', (example) => {
  it('synth --env prod: cfn-lint has no error, checkov no failed check, every skip documented', () => {
    const dir = join(tmp, example);
    cpSync(join(root, 'examples', example), dir, { recursive: true });
    writeFileSync(join(dir, 'compose.prod.yaml'), PROD);
    const out = join(dir, 'cdk.out');
    const r = shipshape(
      ['-f', 'compose.yaml', '-f', 'compose.prod.yaml', 'synth', '--env', 'prod', '-o', out, '--json'],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const synth = JSON.parse(r.stdout) as {
      stacks: { name: string; yamlFile: string }[];
      profile: { kind: string };
    };
    expect(synth.profile.kind).toBe('prod');
    expect(synth.stacks.map((s) => s.name)).toEqual([`${example}-prod-ecr`, `${example}-prod`]);
    const files = synth.stacks.map((s) => s.yamlFile);

    const lint = spawnSync(join(VENV, 'bin/cfn-lint'), ['--format', 'parseable', '--', ...files], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(
      lint.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l)),
      lint.stdout,
    ).toEqual([]);

    const result = checkov(files);
    process.stderr.write(`checkov ${example} prod: ${JSON.stringify(result.summary)}\n`);
    expect(result.results.failed_checks.map((f) => `${f.check_id} ${f.resource}`)).toEqual([]);
    expect(result.summary.passed).toBeGreaterThan(50);
    expectSkipsDocumented(result);
  });
});
