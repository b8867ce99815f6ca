import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, describe, expect, it } from 'vitest';
import type { ComposeApp } from '../../../src/infra/compose-app.js';
import { synthesize } from '../../../src/infra/synth.js';
import { loadApp } from '../../../src/model/load.js';
import { cloudBlocked, cloudFindings, cloudRuleId } from '../../../src/policy/rules/cloud.js';

const fixture = (name: string) => new URL(`../../fixtures/${name}/compose.yaml`, import.meta.url).pathname;
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** An unencrypted, unlogged bucket: cdk-nag AwsSolutions findings nobody acknowledged. */
const addBucket = (app: ComposeApp) => void new s3.Bucket(app, 'Uploads');

describe('shipshape check: cloud rules (cdk-nag on the synthesized templates)', () => {
  it('reports open findings and acknowledged ones (suppressed, with reasons), located by logical id', async () => {
    const app = loadApp([fixture('check/clean')]);
    const r = await cloudFindings(app, { templateDir: '/repo/cdk.out', customize: addBucket });

    const open = r.findings.filter((f) => !f.suppressed);
    expect(open.map((f) => f.ruleId)).toContain('SS-CLOUD-S1');
    const suppressed = r.findings.filter((f) => f.suppressed);
    expect(suppressed.length).toBeGreaterThan(0);
    for (const f of suppressed) expect(f.suppressed!.reason.length).toBeGreaterThan(10);
    expect(suppressed.map((f) => f.ruleId)).toContain('SS-CLOUD-IAM5');
    for (const id of new Set(r.findings.map((f) => f.ruleId))) expect(r.rules.map((x) => x.id)).toContain(id);

    // The same synthesis, kept: each finding points at the line of its resource's logical id.
    const dir = mkdtempSync(join(tmpdir(), 'shipshape-cloud-test-'));
    dirs.push(dir);
    const kept = await synthesize(app, {
      outdir: dir,
      verifyTags: false,
      failOnNag: false,
      customize: addBucket,
    });
    // The app's stack (the image repositories have a stack of their own, deployed first).
    const main = kept.stacks.find((s) => s.name !== kept.registryStack)!;
    const yaml = readFileSync(main.yamlFile, 'utf8').split('\n');
    for (const f of r.findings) {
      expect(f.location.file).toBe(`/repo/cdk.out/${main.yamlFile.split('/').at(-1)}`);
      const logicalId = f.path!.replace(/^Resources\./, '');
      expect(yaml[f.location.line - 1], `${f.ruleId} ${f.message}`).toBe(`  ${logicalId}:`);
    }
    const bucket = open.find((f) => f.ruleId === 'SS-CLOUD-S1')!;
    expect(bucket.path).toMatch(/^Resources\.AppUploads/);
    expect(r.cost.monthlyTotal).toBeGreaterThan(0);
  });

  it('names cloud rules after the cdk-nag rule', () => {
    expect(cloudRuleId('AwsSolutions-IAM5[Resource::*]')).toBe('SS-CLOUD-IAM5');
    expect(cloudRuleId('AwsSolutions-EC23')).toBe('SS-CLOUD-EC23');
  });

  it('does not synthesize an app the compose gate keeps out of the cloud', () => {
    expect(cloudBlocked(loadApp([fixture('infra/unsafe')]))).toMatch(
      /\d+ compose finding\(s\) keep the app out of the cloud \(privileged, /,
    );
    expect(cloudBlocked(loadApp([fixture('infra/unsafe-acknowledged')]))).toBeUndefined();
  });
});
