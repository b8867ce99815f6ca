import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { describeProfile, inZone, profileKind, resolveProfile } from '../../../src/infra/profile.js';
import { loadApp } from '../../../src/model/load.js';
import { ShipshapeError } from '../../../src/model/errors.js';
import { composeDir } from '../../support/compose-dir.js';
import { composeStack, example } from './helpers.js';

const WEB = `services:
  web:
    build: .
    ports: ["80:8080"]
    user: "1000"
    x-shipshape: { health-path: /healthz }
`;

function app(x: string, environment?: string) {
  const dir = composeDir({ 'compose.yaml': `${x}\n${WEB}`, Dockerfile: 'FROM scratch\nUSER 1000\n' });
  return loadApp([`${dir}/compose.yaml`], { environment, env: {} });
}

const PROD_DOMAIN = `x-shipshape:
  name: shop
  environments:
    prod:
      aws:
        domain: shop.example.com
        hosted-zone: { id: Z0123456789ABCDEFGHIJ, name: example.com }`;

describe('profile kind', () => {
  it('dev by default, prod for prod names, explicit profile wins', () => {
    expect(profileKind(app('x-shipshape: { name: a }')).kind).toBe('dev');
    expect(profileKind(app('x-shipshape: { name: a }', 'staging')).kind).toBe('dev');
    expect(profileKind(app('x-shipshape: { name: a }', 'production')).kind).toBe('prod');
    expect(profileKind(app('x-shipshape: { name: a, environment: prod-eu }')).kind).toBe('prod');
    expect(profileKind(app('x-shipshape: { name: a }', 'products')).kind).toBe('dev');
    const explicit = app('x-shipshape: { name: a, environments: { live: { profile: prod } } }', 'live');
    expect(profileKind(explicit)).toEqual({
      kind: 'prod',
      reason: 'x-shipshape.environments.live.profile is prod',
    });
  });
});

describe('resolveProfile', () => {
  it('dev stays cheap: one NAT, one task, no WAF, no alarms, no KMS, no deletion protection', () => {
    const p = resolveProfile(app('x-shipshape: { name: a }'));
    expect(p).toMatchObject({
      kind: 'dev',
      nat: 'single',
      minEntryTasks: 1,
      waf: false,
      deploymentAlarms: false,
      kmsLogs: false,
      deletionProtection: false,
    });
    expect(p.https).toBeUndefined();
  });

  it('prod: HTTPS from a Route 53 domain, NAT per AZ, two tasks per entry, WAF, alarms, KMS, deletion protection', () => {
    const p = resolveProfile(app(PROD_DOMAIN, 'prod'));
    expect(p).toMatchObject({
      kind: 'prod',
      nat: 'per-az',
      minEntryTasks: 2,
      waf: true,
      deploymentAlarms: true,
      kmsLogs: true,
      deletionProtection: true,
    });
    expect(p.https).toEqual({
      kind: 'dns-validated',
      domain: 'shop.example.com',
      hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' },
    });
    expect(describeProfile(p).join('\n')).toMatch(/DNS-validated certificate for shop.example.com/);
    // The environment's settings apply only to it.
    expect(resolveProfile(app(PROD_DOMAIN)).https).toBeUndefined();
  });

  it('prod accepts a certificate ARN and endpoints-only networking', () => {
    const p = resolveProfile(
      app(
        'x-shipshape:\n  name: a\n  aws: { nat: none, certificate-arn: "arn:aws:acm:us-east-1:123456789012:certificate/x" }',
        'prod',
      ),
    );
    expect(p.nat).toBe('none');
    expect(p.https?.kind).toBe('certificate-arn');
  });

  it('prod refuses HTTP only and a single NAT, pointing at x-shipshape with the fix', () => {
    const noTls = () => resolveProfile(app('x-shipshape: { name: a }', 'prod'));
    expect(noTls).toThrow(ShipshapeError);
    expect(noTls).toThrow(/prod profile, which requires HTTPS/);
    try {
      noTls();
    } catch (e) {
      expect((e as ShipshapeError).hint).toMatch(/aws.domain and aws.hosted-zone/);
      expect((e as ShipshapeError).exitCode).toBe(2);
      expect((e as ShipshapeError).location?.file).toMatch(/compose.yaml$/);
    }
    const single = `${PROD_DOMAIN}\n  aws: { nat: single }`;
    expect(() => resolveProfile(app(single, 'prod'))).toThrow(/NAT gateway per availability zone/);
  });

  it('checks the domain against its hosted zone', () => {
    expect(inZone('shop.example.com', 'example.com')).toBe(true);
    expect(inZone('example.com', 'example.com.')).toBe(true);
    expect(inZone('shopexample.com', 'example.com')).toBe(false);
    const wrong = PROD_DOMAIN.replace('name: example.com', 'name: example.org');
    expect(() => resolveProfile(app(wrong, 'prod'))).toThrow(/not in hosted zone example.org/);
    expect(() => resolveProfile(app('x-shipshape:\n  name: a\n  aws: { domain: a.example.com }'))).toThrow(
      /needs the Route 53 hosted zone/,
    );
  });
});

describe('prod templates (web-api, --env prod with a domain)', () => {
  const dir = composeDir({
    'compose.prod.yaml': `${PROD_DOMAIN.replace('name: shop', 'name: web-api')}\n`,
  });
  const model = loadApp([example('web-api'), `${dir}/compose.prod.yaml`], { environment: 'prod', env: {} });
  const { template } = composeStack({ app: model });

  it('HTTPS with a DNS-validated certificate, an alias record, and port 80 only redirecting', () => {
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'shop.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'shop.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'shop.example.com.', Type: 'A' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 443, Protocol: 'HTTPS' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect' })],
    });
  });

  it('two tasks for the public entry, one for the private api; NAT per AZ', () => {
    template.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'web', DesiredCount: 2 });
    template.hasResourceProperties('AWS::ECS::Service', { ServiceName: 'api', DesiredCount: 1 });
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
  });

  it('WAF with AWS managed rule groups on the ALB, with logging', () => {
    template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      Rules: Match.arrayWith([
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' },
          },
        }),
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' },
          },
        }),
      ]),
    });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 1);
  });

  it('deployment alarms roll back; every log group is KMS-encrypted; the ALB has deletion protection', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      ServiceName: 'web',
      DeploymentConfiguration: Match.objectLike({
        Alarms: Match.objectLike({ Enable: true, Rollback: true }),
      }),
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4); // web: tasks, 5xx, unhealthy; api: tasks
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(4);
    for (const g of groups) expect(g.Properties.KmsKeyId).toBeDefined();
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'true' }]),
    });
  });
});
