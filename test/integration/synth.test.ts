/**
 * `shipshape synth` as a user runs it — a real process — and every synthesized template checked by
 * the real cfn-lint (PyPI, /opt/shipshape-venv/bin/cfn-lint): zero errors.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCompose } from '../fixtures/infra/generate.js';
import { checkov, expectSkipsDocumented } from '../support/checkov.js';
import { shipshape as runShipshape } from '../support/cli.js';

const root = resolve(import.meta.dirname, '../..');
const CFN_LINT = process.env.CFN_LINT ?? '/opt/shipshape-venv/bin/cfn-lint';
const tmp = mkdtempSync(join(tmpdir(), 'shipshape-synth-it-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const shipshape = (args: string[], cwd: string) => runShipshape(args, { cwd });

/** cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational. */
function cfnLint(files: string[]) {
  const r = spawnSync(CFN_LINT, ['--format', 'parseable', '--', ...files], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.error) throw r.error;
  const errors = r.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l));
  return { status: r.status ?? -1, errors, output: r.stdout + r.stderr };
}

interface SynthJson {
  outdir: string;
  diagramFile: string;
  split: boolean;
  stacks: { name: string; resources: number; yamlFile: string; templateFile: string }[];
  nag: { findings: unknown[]; acknowledged: { rule: string; reason: string }[] };
}

const examples = [
  ['hello-lb', join(root, 'examples/hello-lb')],
  ['web-api', join(root, 'examples/web-api')],
  ['postgres fixture', join(root, 'test/fixtures/infra/postgres')],
  ['nat-none fixture', join(root, 'test/fixtures/infra/nat-none')],
] as const;

describe.each(examples)('shipshape synth: %s', (name, dir) => {
  it('exits 0, passes the policy gate, and every template is cfn-lint clean', () => {
    const out = join(tmp, name.replace(/ /g, '-'));
    const r = shipshape(['synth', '-o', out, '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as SynthJson;
    expect(result.nag.findings).toEqual([]);
    expect(result.nag.acknowledged.map((a) => a.rule)).toContain('AwsSolutions-EC23');
    // The app's stack, plus the image repositories' stack when a service is built.
    expect(r.stderr).toMatch(/synth: synthesizing [12] stack/);
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
    expect(readFileSync(result.diagramFile, 'utf8')).toContain('load balancer (ALB)');

    const lint = cfnLint(result.stacks.map((s) => s.yamlFile));
    expect(lint.errors, lint.output).toEqual([]);
    expect(lint.status & 2, lint.output).toBe(0);
  });
});

describe('shipshape synth: backing services', () => {
  it('every managed datastore and EFS synthesizes cfn-lint clean: dev in one stack, prod split per service', () => {
    const dir = join(root, 'test/fixtures/infra/backing');
    const dev = shipshape(['synth', '-o', join(tmp, 'backing-dev'), '--json'], dir);
    expect(dev.code, dev.stderr).toBe(0);
    const prod = shipshape(
      [
        '-f',
        'compose.yaml',
        '-f',
        'prod.yaml',
        'synth',
        '-o',
        join(tmp, 'backing-prod'),
        '--split',
        'always',
        '--json',
      ],
      dir,
    );
    expect(prod.code, prod.stderr).toBe(0);
    const results = [dev, prod].map((r) => JSON.parse(r.stdout) as SynthJson);
    for (const r of results) expect(r.nag.findings).toEqual([]);
    expect(results[1]!.stacks.map((s) => s.name)).toEqual(
      expect.arrayContaining(['backing-prod-db', 'backing-prod-cache', 'backing-prod-objects']),
    );
    const diagram = readFileSync(results[0]!.diagramFile, 'utf8');
    for (const label of ['Amazon RDS for MariaDB', 'Amazon DynamoDB', 'volumes (Amazon EFS)'])
      expect(diagram).toContain(label);
    const lint = cfnLint(results.flatMap((r) => r.stacks.map((s) => s.yamlFile)));
    expect(lint.errors, lint.output).toEqual([]);
    expect(lint.status & 2, lint.output).toBe(0);
    // The prod profile's datastores: checkov finds nothing (customer managed keys for secrets and
    // tables, RDS enhanced monitoring), and what it skips is acknowledged and documented.
    const prodCheck = checkov(results[1]!.stacks.map((s) => s.yamlFile));
    expect(prodCheck.results.failed_checks.map((f) => `${f.check_id} ${f.resource}`)).toEqual([]);
    expectSkipsDocumented(prodCheck);
  });
});

describe('shipshape synth: human output', () => {
  it('prints the stacks table, the nag result and where things went', () => {
    const out = join(tmp, 'human');
    const r = shipshape(['synth', '-o', out], join(root, 'examples/web-api'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^STACK\s+RESOURCES\s+TEMPLATE \(YAML\)\n/);
    expect(r.stdout).toMatch(/^web-api-dev\s+\d+\s+\S+web-api-dev\.template\.yaml$/m);
    expect(r.stdout).toMatch(/policy gate: cdk-nag AwsSolutions: 0 findings, \d+ acknowledged in code/);
    expect(r.stdout).toContain(`diagram: ${join(out, 'architecture.svg')}`);
  });
});

describe('shipshape synth: unsafe compose settings', () => {
  it('exits 2 and lists every finding with file:line', () => {
    const file = join(root, 'test/fixtures/infra/unsafe/compose.yaml');
    const r = shipshape(['-f', file, 'synth', '-o', join(tmp, 'unsafe')], dirname(file));
    expect(r.code).toBe(2);
    for (const what of ['privileged', 'root-user', 'host-network', 'plain-secret']) {
      expect(r.stderr).toMatch(
        new RegExp(`${file.replace(/[/.]/g, '\\$&')}:\\d+:\\d+: error: .*\\[${what}\\]`),
      );
    }
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    expect(existsSync(join(tmp, 'unsafe', 'manifest.json'))).toBe(false);
  });
});

describe('shipshape synth: 100 services', () => {
  it('splits into shared + per-service stacks, each under 500 resources, all cfn-lint clean', () => {
    // 50 services (about 530 resources) are past the 450-resource budget: enough to split; the
    // 100-service case is bench/synth.ts's.
    const { dir, file } = generateCompose(50);
    try {
      const out = join(tmp, 'gen50');
      const r = shipshape(['-f', file, 'synth', '-o', out, '--json'], dir);
      expect(r.code, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout) as SynthJson;
      expect(result.split).toBe(true);
      // 50 services + 2 databases, each in its own stack, plus the shared one and the image
      // repositories' stack.
      expect(result.stacks).toHaveLength(54);
      for (const s of result.stacks) expect(s.resources, s.name).toBeLessThan(500);
      const lint = cfnLint(result.stacks.map((s) => s.yamlFile));
      expect(lint.errors, lint.output.slice(0, 4000)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
