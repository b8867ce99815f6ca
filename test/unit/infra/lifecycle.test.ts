/**
 * The stack lifecycle on the synthesized templates of test/fixtures/infra/lifecycle (DynamoDB and
 * S3 stand-ins pinned by tag, a postgres whose image user is `admin`, dev, staging and prod of one
 * app in one account and region, no NAT), built as deploy builds them (the caller's account named):
 * what destroy keeps never blocks the next deploy (no fixed name, or one the next deploy adopts),
 * no physical name is shared between environments, and no master user is one the engine refuses.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { protectedToDelete } from '../../../src/deploy/deletion-protection.js';
import { keptNameProblems, sharedNames, type LifecycleTemplate } from '../../../src/infra/lifecycle-check.js';
import { loadResourceFacts, type ResourceFactTable } from '../../../src/infra/resource-facts.js';
import { synthesize } from '../../../src/infra/synth.js';
import { refusedMasterUser } from '../../../src/model/intent/master-user.js';
import { loadApp } from '../../../src/model/load.js';
import type { ManagedEngine } from '../../../src/model/types.js';
import { fixture } from './helpers.js';

const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
const ACCOUNT = '123456789012';
const tmp = mkdtempSync(join(tmpdir(), 'shipshape-lifecycle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Template = LifecycleTemplate & {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;
};
const templates: Record<string, Template[]> = {};
let facts: ResourceFactTable;

beforeAll(async () => {
  facts = await loadResourceFacts();
  for (const environment of ENVIRONMENTS) {
    // As deploy synthesizes: for the caller's account.
    const app = loadApp([fixture('lifecycle')], { environment });
    const result = await synthesize(app, { outdir: join(tmp, environment), account: ACCOUNT });
    templates[environment] = result.stacks.map(
      (s) => JSON.parse(readFileSync(s.templateFile, 'utf8')) as Template,
    );
  }
}, 600_000);

const resources = (environment: string, type: string) =>
  templates[environment]!.flatMap((t) => Object.entries(t.Resources).filter(([, r]) => r.Type === type));

describe('what destroy keeps never blocks the next deploy', () => {
  it.each(ENVIRONMENTS)(
    '%s: every kept resource has no fixed name, or a static one the next deploy adopts',
    (env) => {
      for (const t of templates[env]!) expect(keptNameProblems(t, facts)).toEqual([]);
    },
  );

  it('prod keeps its table and bucket under static names (adopted), databases leave a final snapshot', () => {
    const [, table] = resources('prod', 'AWS::DynamoDB::Table')[0]!;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.Properties!.TableName).toBe('shop-prod-orders');
    const bucket = resources('prod', 'AWS::S3::Bucket').find(([id]) => id.includes('Bucketuploads'))![1];
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.Properties!.BucketName).toBe(`shop-prod-uploads-${ACCOUNT}-eu-west-1`);
    const [, db] = resources('prod', 'AWS::RDS::DBInstance')[0]!;
    expect(db.DeletionPolicy).toBe('Snapshot');
    expect(db.Properties!.DBInstanceIdentifier).toBeUndefined();
    const waf = resources('prod', 'AWS::Logs::LogGroup').find(([id]) => id.includes('Firewall'))![1];
    expect(waf.Properties!.LogGroupName).toBe('aws-waf-logs-shop-prod');
    expect(waf.DeletionPolicy).toBe('Retain');
  });
});

describe('destroy of prod', () => {
  it('turns deletion protection off on the load balancer and the database (which leaves a snapshot), not on what it keeps', () => {
    const protectedIds = templates.prod!.flatMap((t) =>
      protectedToDelete(
        'shop-prod',
        t,
        Object.entries(t.Resources).map(([logicalId, r]) => ({
          logicalId,
          type: r.Type,
          physicalId: logicalId,
        })),
      ).map((p) => p.type),
    );
    expect(protectedIds.sort()).toEqual([
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::RDS::DBInstance',
    ]);
    // Dev protects nothing.
    for (const t of templates.dev!)
      expect(
        protectedToDelete(
          'shop-dev',
          t,
          Object.entries(t.Resources).map(([logicalId, r]) => ({
            logicalId,
            type: r.Type,
            physicalId: logicalId,
          })),
        ),
      ).toEqual([]);
  });
});

describe('environments of one app in one account and region', () => {
  it('share no physical name', () => {
    expect(sharedNames(templates, facts)).toEqual([]);
  });

  it('the check finds a shared name when there is one (the Cloud Map namespace named by app only)', () => {
    const named = (env: string): Template => ({
      Resources: {
        Namespace: { Type: 'AWS::ServiceDiscovery::HttpNamespace', Properties: { Name: `shop.internal` } },
        Ns2: { Type: 'AWS::ServiceDiscovery::HttpNamespace', Properties: { Name: `${env}.shop.internal` } },
      },
    });
    expect(sharedNames({ dev: [named('dev')], prod: [named('prod')] }, facts)).toEqual([
      {
        type: 'AWS::ServiceDiscovery::HttpNamespace',
        property: 'Name',
        value: 'shop.internal',
        where: ['dev: Namespace', 'prod: Namespace'],
      },
    ]);
  });

  it.each(ENVIRONMENTS)('%s: the namespace is named for its environment', (env) => {
    const [, ns] = resources(env, 'AWS::ServiceDiscovery::HttpNamespace')[0]!;
    expect(ns.Properties!.Name).toBe(`${env}.shop.internal`);
  });
});

describe('master users the engines accept', () => {
  it.each(ENVIRONMENTS)('%s: POSTGRES_USER admin becomes postgres, and the caller gets it', (env) => {
    const [, db] = resources(env, 'AWS::RDS::DBInstance')[0]!;
    const user = db.Properties!.MasterUsername as string;
    expect(user).toBe('postgres');
    expect(refusedMasterUser('rds-postgres' as ManagedEngine, user)).toBeUndefined();
    const task = resources(env, 'AWS::ECS::TaskDefinition').find(([id]) =>
      id.startsWith('AppappService'),
    )![1];
    const app = (task.Properties!.ContainerDefinitions as { Name: string; Environment: unknown[] }[]).find(
      (c) => c.Name === 'app',
    )!;
    expect(app.Environment).toContainEqual({ Name: 'DB_USER', Value: 'postgres' });
    expect(db.Properties!.EngineVersion).toBe('16');
  });
});

/** `{ Fn::Join: ['', ['a', { Ref: 'X' }]] }` → `a${X}`. */
function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
  if (v.Ref) return `\${${v.Ref}}`;
  if (v['Fn::Join']) return v['Fn::Join'][1].map(flat).join(v['Fn::Join'][0]);
  return JSON.stringify(value);
}

describe("with nat: none, every image comes from the account's ECR, pinned by digest", () => {
  it.each(ENVIRONMENTS)(
    '%s: every container of every task definition (app, image-only, init helper)',
    (env) => {
      const seen: string[] = [];
      for (const t of templates[env]!) {
        const params = (t as { Parameters?: Record<string, { AllowedPattern?: string }> }).Parameters ?? {};
        for (const [, task] of Object.entries(t.Resources).filter(
          ([, r]) => r.Type === 'AWS::ECS::TaskDefinition',
        )) {
          for (const c of task.Properties!.ContainerDefinitions as { Name: string; Image: unknown }[]) {
            const image = flat(c.Image);
            const m = new RegExp(
              // The ECR of the account the stack is deployed to, in its region.
              `^\\$\\{AWS::AccountId\\}\\.dkr\\.ecr\\.eu-west-1\\.\\$\\{AWS::URLSuffix\\}/shop-${env}/[a-z0-9/._-]+@\\$\\{(ImageDigest\\w+)\\}$`,
            ).exec(image);
            expect(m, `${c.Name}: ${image}`).not.toBeNull();
            expect(params[m![1]!]?.AllowedPattern).toBe('^sha256:[0-9a-f]{64}$');
            seen.push(`${c.Name} ${image.replace(/^.*?\/shop-\w+\//, '').replace(/@.*$/, '')}`);
          }
        }
      }
      // Each task's init container (secrets, and /tmp for a non-root app) comes from there too.
      expect(seen.sort()).toEqual([
        'app app',
        'shipshape-init shipshape/shipshape-init',
        'shipshape-init shipshape/shipshape-init',
        'worker worker',
      ]);
    },
  );

  it.each(ENVIRONMENTS)(
    '%s: tasks reach ECR, its image layers, logs and secrets through VPC endpoints',
    (env) => {
      const services = templates[env]!.flatMap((t) =>
        Object.values(t.Resources)
          .filter((r) => r.Type === 'AWS::EC2::VPCEndpoint')
          .map((r) => flat(r.Properties!.ServiceName)),
      );
      for (const s of ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 's3', 'dynamodb'])
        expect(
          services.some((x) => x.endsWith(`.${s}`)),
          s,
        ).toBe(true);
      expect(
        templates[env]!.some((t) =>
          Object.values(t.Resources).some((r) => r.Type === 'AWS::EC2::NatGateway'),
        ),
      ).toBe(false);
    },
  );
});
