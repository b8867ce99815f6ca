/**
 * The change-hazard check on templates: what a change would replace, and what CloudFormation
 * cannot do in place (collisions, exports still imported) or does at the cost of data. Real
 * synthesized templates for the certificate case (single stack and split per service), hand-made
 * ones for each rule.
 */
import { assertCloudReady } from '../../../src/model/gate.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmChanges } from '../../../src/deploy/change-review.js';
import { changeHazards, type HazardTemplate, type StackChange } from '../../../src/deploy/hazards.js';
import { assertAccount } from '../../../src/deploy/session.js';
import { loadResourceFacts, type ResourceFactTable } from '../../../src/infra/resource-facts.js';
import { buildApp } from '../../../src/infra/synth.js';
import type { AppModel } from '../../../src/model/types.js';
import { composeStack, example, load } from '../infra/helpers.js';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const tmp = mkdtempSync(join(tmpdir(), 'shipshape-hazards-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let facts: ResourceFactTable;
beforeAll(async () => {
  facts = await loadResourceFacts();
});

const webApi = (certificate: boolean) =>
  load(example('web-api'), (app) => {
    if (certificate) app.x.aws.certificateArn = CERT;
  });

type Template = HazardTemplate & {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};
const listeners = (t: Template) =>
  Object.entries(t.Resources)
    .filter(([, r]) => r.Type === 'AWS::ElasticLoadBalancingV2::Listener')
    .map(([id, r]) => `${id} ${String(r.Properties!.Port)}`)
    .sort();

describe('adding a certificate to a running app', () => {
  const before = composeStack({ app: webApi(false) }).template.toJSON() as Template;
  const after = composeStack({ app: webApi(true) }).template.toJSON() as Template;

  it('keeps the port-80 listener (same logical id): the redirect is a change of its default action', () => {
    const http = listeners(before).find((l) => l.endsWith(' 80'))!;
    expect(listeners(after)).toContain(http);
    expect(listeners(after).filter((l) => l.endsWith(' 80'))).toHaveLength(1);
    const id = http.split(' ')[0]!;
    expect(JSON.stringify(after.Resources[id]!.Properties!.DefaultActions)).toMatch(/redirect/);
  });

  it('the hazard check: nothing refused, the listener is not replaced; the rule moves to the HTTPS listener', () => {
    const report = changeHazards([{ stack: 'web-api-dev', old: before, new: after }], { facts });
    expect(report.hazards).toEqual([]);
    expect(report.replacements.map((r) => r.type)).not.toContain('AWS::ElasticLoadBalancingV2::Listener');
    expect(report.replacements).toContainEqual(
      expect.objectContaining({
        type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
        because: ['ListenerArn'],
      }),
    );
  });

  it('split per service: the shared stack keeps every export the service stacks imported', () => {
    const stacksOf = (model: AppModel, name: string) => {
      const built = buildApp(assertCloudReady(model), { outdir: join(tmp, name), split: true, nag: false });
      const assembly = built.cdkApp.synth();
      return Object.fromEntries(
        built.stacks.map((s) => [
          s.stackName,
          JSON.parse(readFileSync(join(assembly.directory, s.templateFile), 'utf8')) as Template,
        ]),
      );
    };
    const old = stacksOf(webApi(false), 'split-http');
    const next = stacksOf(webApi(true), 'split-https');
    const changes: StackChange[] = Object.keys(next).map((stack) => ({
      stack,
      old: old[stack],
      new: next[stack],
    }));
    const report = changeHazards(changes, { facts });
    expect(report.hazards.filter((h) => h.severity === 'refuse')).toEqual([]);
    const exports = (t?: Template) => Object.values(t?.Outputs ?? {}).map((o) => o.Export?.Name as string);
    expect(exports(next['web-api-dev'])).toEqual(expect.arrayContaining(exports(old['web-api-dev'])));
  });
});

// Hand-made templates, one rule each.
const lb = { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application' } };
const listener = (port: number, action = 'fixed-response') => ({
  Type: 'AWS::ElasticLoadBalancingV2::Listener',
  Properties: {
    LoadBalancerArn: { Ref: 'Lb' },
    Port: port,
    Protocol: 'HTTP',
    DefaultActions: [{ Type: action }],
  },
});
const table = (name: string | undefined, key = 'pk', policy = 'Retain') => ({
  Type: 'AWS::DynamoDB::Table',
  DeletionPolicy: policy,
  UpdateReplacePolicy: policy,
  Properties: {
    ...(name ? { TableName: name } : {}),
    KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  },
});
const one = (old: HazardTemplate, next: HazardTemplate, pseudo?: { account: string; region: string }) =>
  changeHazards([{ stack: 's', old, new: next }], { facts, pseudo });

describe('the rules', () => {
  it('a new listener on a port an old one still holds is refused (the redirect listener of old)', () => {
    const report = one(
      { Resources: { Lb: lb, Http: listener(80) } },
      { Resources: { Lb: lb, Redirect80To443: listener(80, 'redirect'), Https: listener(443) } },
    );
    expect(report.hazards).toEqual([
      expect.objectContaining({
        severity: 'refuse',
        logicalId: 'Redirect80To443',
        reason: expect.stringMatching(/the same load balancer port that Http \(s\), which goes, still holds/),
      }),
    ]);
  });

  it('a named resource that must be replaced under the same name is refused; data at stake is said', () => {
    const report = one(
      { Resources: { T: table('shop-prod-orders') } },
      { Resources: { T: table('shop-prod-orders', 'id') } },
    );
    expect(report.replacements).toEqual([
      expect.objectContaining({ logicalId: 'T', because: ['KeySchema'], certain: true }),
    ]);
    expect(report.hazards.map((h) => `${h.severity} ${h.reason}`)).toEqual([
      expect.stringMatching(
        /^refuse it would be replaced, and the replacement is created under the name shop-prod-orders/,
      ),
      'warn it would be replaced by a new, empty one; the old one is kept with its data, detached from the app',
    ]);
  });

  it('a stateful resource replaced under a generated name is not refused, but its data is at stake', () => {
    const report = one(
      { Resources: { T: table(undefined, 'pk', 'Delete') } },
      { Resources: { T: table(undefined, 'id', 'Delete') } },
    );
    expect(report.hazards).toEqual([
      expect.objectContaining({ severity: 'warn', reason: expect.stringMatching(/deleted with its data$/) }),
    ]);
  });

  it('a database removed: a final snapshot is what stays', () => {
    const db = {
      Type: 'AWS::RDS::DBInstance',
      DeletionPolicy: 'Snapshot',
      Properties: { Engine: 'postgres' },
    };
    expect(one({ Resources: { Db: db } }, { Resources: {} }).hazards).toEqual([
      expect.objectContaining({
        severity: 'warn',
        reason: 'it would be removed; the old one is deleted after a final snapshot',
      }),
    ]);
  });

  it('a name written with pseudo parameters and literally is the same name: no replacement', () => {
    const bucket = (name: unknown) => ({
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
      Properties: { BucketName: name },
    });
    const report = one(
      {
        Resources: {
          B: bucket({
            'Fn::Join': ['', ['shop-dev-data-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }]],
          }),
        },
      },
      { Resources: { B: bucket('shop-dev-data-123456789012-eu-west-1') } },
      { account: '123456789012', region: 'eu-west-1' },
    );
    expect(report).toEqual({ replacements: [], hazards: [] });
  });

  it('a named resource moved to a stack deployed later is fine (the old one is cleaned up first); to an earlier one, refused', () => {
    const named = { Resources: { T: table('shop-dev-orders', 'pk', 'Delete') } };
    const moved = (from: string, to: string): StackChange[] =>
      ['first', 'second'].map((stack) => ({
        stack,
        old: stack === from ? named : { Resources: {} },
        new: stack === to ? named : { Resources: {} },
      }));
    const refused = (changes: StackChange[]) =>
      changeHazards(changes, { facts }).hazards.filter((h) => h.severity === 'refuse');
    expect(refused(moved('first', 'second'))).toEqual([]);
    expect(refused(moved('second', 'first'))).toEqual([
      expect.objectContaining({
        stack: 'first',
        reason: expect.stringMatching(
          /under the name shop-dev-orders that T \(second\), which goes, still holds/,
        ),
      }),
    ]);
  });

  it('an export another deployed stack imports cannot go', () => {
    const shared = (exported: boolean): HazardTemplate => ({
      Resources: { Lb: lb, Http: listener(80) },
      Outputs: exported ? { Out: { Value: { Ref: 'Http' }, Export: { Name: 'shared:Http' } } } : {},
    });
    const service = (imported: boolean): HazardTemplate => ({
      Resources: {
        Rule: {
          Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          Properties: {
            ListenerArn: imported ? { 'Fn::ImportValue': 'shared:Http' } : 'arn:other',
            Priority: 1,
          },
        },
      },
    });
    const report = changeHazards(
      [
        { stack: 'shared', old: shared(true), new: shared(false) },
        { stack: 'svc', old: service(true), new: service(false) },
      ],
      { facts },
    );
    expect(report.hazards).toEqual([
      expect.objectContaining({
        severity: 'refuse',
        stack: 'shared',
        reason: 'the export would go while svc still imports it: CloudFormation refuses the update',
      }),
    ]);
  });
});

describe('deploy acts on the hazards', () => {
  const hazard = (severity: 'refuse' | 'warn') => ({
    severity,
    stack: 's',
    logicalId: 'T',
    resource: 'App/ddb/Datastore/Table-orders',
    type: 'AWS::DynamoDB::Table',
    reason: 'because',
  });
  const none = { replacements: [], hazards: [] };

  it('refuses what CloudFormation cannot do in place (exit 4), whatever --yes says, with each reason', async () => {
    await expect(
      confirmChanges(
        { replacements: [], hazards: [hazard('refuse')] },
        true,
        async () => true,
        () => undefined,
      ),
    ).rejects.toMatchObject({
      exitCode: 4,
      more: [{ message: 'refused: s: App/ddb/Datastore/Table-orders (AWS::DynamoDB::Table): because' }],
    });
  });

  it('asks before data is replaced or removed: no is exit 2, --yes or yes goes on', async () => {
    const report = { replacements: [], hazards: [hazard('warn')] };
    const lines: string[] = [];
    await expect(
      confirmChanges(
        report,
        false,
        async () => false,
        (l) => lines.push(l),
      ),
    ).rejects.toMatchObject({
      exitCode: 2,
    });
    expect(lines).toEqual([
      'data at stake: s: App/ddb/Datastore/Table-orders (AWS::DynamoDB::Table): because',
    ]);
    await expect(
      confirmChanges(
        report,
        false,
        async () => true,
        () => undefined,
      ),
    ).resolves.toBeUndefined();
    await expect(
      confirmChanges(
        report,
        true,
        async () => false,
        () => undefined,
      ),
    ).resolves.toBeUndefined();
    await expect(
      confirmChanges(
        none,
        false,
        async () => false,
        () => undefined,
      ),
    ).resolves.toBeUndefined();
  });

  it('refuses credentials of another account than x-shipshape.aws.account (exit 2)', () => {
    const app = { x: { aws: { account: '111111111111' } } } as unknown as AppModel;
    let error: unknown;
    try {
      assertAccount(app, '222222222222');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      exitCode: 2,
      message:
        'x-shipshape.aws.account is 111111111111, but the AWS credentials are for account 222222222222',
    });
    expect(() => assertAccount(app, '111111111111')).not.toThrow();
  });
});
