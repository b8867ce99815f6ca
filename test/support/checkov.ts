/**
 * checkov, the real oracle in /opt/shipshape-venv (scripts/dev-env.sh installs it), on synthesized
 * CloudFormation templates; and the rule that every check it skips is acknowledged in code with a
 * reason and listed in docs/deploy.md.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

const VENV = process.env.SHIPSHAPE_VENV ?? '/opt/shipshape-venv';
const root = resolve(import.meta.dirname, '../..');

export interface CheckovResult {
  summary: { passed: number; failed: number; skipped: number };
  results: {
    failed_checks: { check_id: string; resource: string }[];
    skipped_checks: { check_id: string; resource: string; check_result: { suppress_comment?: string } }[];
  };
}

export function checkov(files: string[]): CheckovResult {
  // --skip-download: checkov would otherwise fetch guidelines from its vendor's API.
  const args = [
    '--framework',
    'cloudformation',
    '--output',
    'json',
    '--skip-download',
    ...files.flatMap((f) => ['-f', f]),
  ];
  // Its JSON is large (every passed check of every template): well above spawnSync's 1 MiB default.
  const r = spawnSync(join(VENV, 'bin/checkov'), args, {
    encoding: 'utf8',
    timeout: 300_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  const parsed = JSON.parse(r.stdout) as CheckovResult | CheckovResult[];
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return {
    summary: {
      passed: list.reduce((n, x) => n + x.summary.passed, 0),
      failed: list.reduce((n, x) => n + x.summary.failed, 0),
      skipped: list.reduce((n, x) => n + x.summary.skipped, 0),
    },
    results: {
      failed_checks: list.flatMap((x) => x.results.failed_checks ?? []),
      skipped_checks: list.flatMap((x) => x.results.skipped_checks ?? []),
    },
  };
}

/** Each skipped check carries a reason (Metadata.checkov) and is listed in docs/deploy.md. */
export function expectSkipsDocumented(result: CheckovResult): void {
  const docs = readFileSync(join(root, 'docs/deploy.md'), 'utf8');
  for (const s of result.results.skipped_checks) {
    expect(s.check_result.suppress_comment?.length ?? 0, `${s.check_id} needs a reason`).toBeGreaterThan(20);
    expect(docs, `${s.check_id} is not listed in docs/deploy.md`).toContain(`\`${s.check_id}\``);
  }
}
