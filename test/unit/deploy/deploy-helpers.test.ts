import { describe, expect, it } from 'vitest';
import { credentialsError } from '../../../src/aws/config.js';
import { planDestroy } from '../../../src/deploy/destroy.js';
import { decodeAuthorization } from '../../../src/deploy/ecr.js';
import {
  contentTag,
  derivedDockerfile,
  digestParameters,
  isInsecureRegistry,
} from '../../../src/deploy/images.js';
import { assertDeployable } from '../../../src/aws/stacks.js';
import { ecsServices, verdict, type ServiceState } from '../../../src/deploy/steady.js';
import { helperRepositoryName, imageParameterName, repositoryName } from '../../../src/infra/registry.js';
import type { AppModel } from '../../../src/model/types.js';

describe('images', () => {
  it('tags are the content address, shortened; the same image gives the same tag', () => {
    const id = `sha256:${'0123456789abcdef'.repeat(4)}`;
    expect(contentTag(id)).toBe('sha-0123456789abcdef0123');
    expect(contentTag(id)).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
    expect(() => contentTag('latest')).toThrow(/not an image id/);
  });

  it('a derived image is the compose image plus each baked file at its target', () => {
    expect(
      derivedDockerfile('nginx:1.27', [
        { target: '/etc/nginx/conf.d/default.conf' },
        { target: '/usr/share/nginx/html' },
      ]),
    ).toBe(
      'FROM nginx:1.27\nCOPY ["files/0","/etc/nginx/conf.d/default.conf"]\nCOPY ["files/1","/usr/share/nginx/html"]\n',
    );
  });

  it('loopback registries are plain HTTP, others HTTPS', () => {
    expect(['127.0.0.1:5000', 'localhost:5000', 'localhost'].every(isInsecureRegistry)).toBe(true);
    expect(isInsecureRegistry('registry.example.com:5000')).toBe(false);
  });

  it('ECR authorization tokens become Docker credentials for the proxy endpoint host', () => {
    const token = Buffer.from('AWS:pa:ss').toString('base64');
    expect(decodeAuthorization(token, 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com')).toEqual({
      username: 'AWS',
      password: 'pa:ss',
      serveraddress: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com',
      host: '123456789012.dkr.ecr.us-east-1.amazonaws.com',
    });
  });

  it('repository names and digest parameters are deterministic and valid; helpers never meet a service', () => {
    const app = { name: 'Web_API', x: { environment: 'Prod' } } as unknown as AppModel;
    expect(repositoryName(app, 'My.Service')).toBe('web_api-prod/my.service');
    expect(helperRepositoryName(app, 'secrets-init')).toBe('web_api-prod/shipshape/secrets-init');
    expect(repositoryName(app, 'shipshape/secrets-init')).not.toBe(helperRepositoryName(app, 'secrets-init'));
    expect(imageParameterName('web')).toBe('ImageDigestWeb');
    expect(imageParameterName('my-api_v2')).toBe('ImageDigestMyApiV2');
    expect(imageParameterName('my_api', new Set(['ImageDigestMyApi']))).toBe('ImageDigestMyApi2');
  });

  it('every slot of a repository gets the digest pushed there, in its own stack', () => {
    const slot = (service: string, stackName: string, parameter: string, repositoryName: string) => ({
      service,
      stackName,
      parameter,
      repositoryName,
      source: { kind: 'copy' as const, image: 'busybox:1' },
    });
    const image = (repositoryName: string, digest: string) => ({
      service: 'x',
      repositoryName,
      imageId: 'sha256:0',
      source: 'copy' as const,
      reference: `r/${repositoryName}@${digest}`,
      tag: 'sha-0',
      digest,
      pushed: true,
    });
    expect(
      digestParameters(
        [
          slot('web', 'app-web', 'ImageDigestWeb', 'app/web'),
          slot('secrets-init', 'app-web', 'ImageDigestShipshapeSecretsInit', 'app/shipshape/secrets-init'),
          slot('secrets-init', 'app-api', 'ImageDigestShipshapeSecretsInit', 'app/shipshape/secrets-init'),
        ],
        [image('app/web', 'sha256:aa'), image('app/shipshape/secrets-init', 'sha256:bb')],
      ),
    ).toEqual({
      'app-web:ImageDigestWeb': 'sha256:aa',
      'app-web:ImageDigestShipshapeSecretsInit': 'sha256:bb',
      'app-api:ImageDigestShipshapeSecretsInit': 'sha256:bb',
    });
  });
});

describe('AWS errors', () => {
  it('no credentials and expired sessions are exit 3 with the fix', () => {
    const none = credentialsError(
      { name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' },
      'us-east-1',
    );
    expect([none?.exitCode, none?.message]).toEqual([3, 'no AWS credentials found']);
    const expired = credentialsError(
      { name: 'ExpiredTokenException', message: 'The security token included in the request is expired' },
      'us-east-1',
    );
    expect(expired?.exitCode).toBe(3);
    expect(expired?.hint).toMatch(/aws sso login|refresh/);
    expect(credentialsError(new Error('Throttling'), 'us-east-1')).toBeUndefined();
  });

  it('stacks CloudFormation cannot update now are refused with the fix', () => {
    expect(() => assertDeployable('s', undefined, 'r')).not.toThrow();
    expect(() => assertDeployable('s', 'ROLLBACK_COMPLETE', 'r')).not.toThrow(); // the toolkit re-creates it
    expect(() => assertDeployable('s', 'UPDATE_IN_PROGRESS', 'r')).toThrow(/busy/);
    expect(() => assertDeployable('s', 'UPDATE_ROLLBACK_FAILED', 'r')).toThrow(/UPDATE_ROLLBACK_FAILED/);
    expect(() => assertDeployable('s', 'DELETE_FAILED', 'r')).toThrow(/DELETE_FAILED/);
  });
});

describe('steady state', () => {
  const state = (over: Partial<ServiceState>): ServiceState => ({
    cluster: 'c',
    service: 'arn',
    name: 'web',
    desired: 2,
    running: 2,
    rollout: 'COMPLETED',
    deployments: 1,
    ...over,
  });
  it('steady only with one completed deployment and all tasks running; FAILED is failed', () => {
    expect(verdict(state({}))).toBe('steady');
    expect(verdict(state({ running: 1 }))).toBe('waiting');
    expect(verdict(state({ deployments: 2 }))).toBe('waiting');
    expect(verdict(state({ rollout: 'IN_PROGRESS' }))).toBe('waiting');
    expect(verdict(state({ rollout: 'FAILED', running: 0 }))).toBe('failed');
  });

  it('finds the ECS services and their clusters among stack resources', () => {
    expect(
      ecsServices([
        {
          logicalId: 'A',
          type: 'AWS::ECS::Service',
          physicalId: 'arn:aws:ecs:us-east-1:1:service/my-cluster/web',
        },
        { logicalId: 'B', type: 'AWS::ECS::Cluster', physicalId: 'my-cluster' },
      ]),
    ).toEqual([{ cluster: 'my-cluster', service: 'arn:aws:ecs:us-east-1:1:service/my-cluster/web' }]);
  });
});

describe('destroy plan', () => {
  it('says what is deleted and what is kept, and why', () => {
    const plan = planDestroy(
      [
        {
          name: 'app-dev',
          template: {
            Resources: {
              Logs: { DeletionPolicy: 'Retain' },
              Db: { DeletionPolicy: 'Snapshot' },
              Bucket: { DeletionPolicy: 'Retain' },
            },
          },
          resources: [
            { logicalId: 'Logs', type: 'AWS::Logs::LogGroup', physicalId: 'lg' },
            { logicalId: 'Db', type: 'AWS::RDS::DBInstance' },
            { logicalId: 'Bucket', type: 'AWS::S3::Bucket' },
            { logicalId: 'Cluster', type: 'AWS::ECS::Cluster' },
            { logicalId: 'CDKMetadata', type: 'AWS::CDK::Metadata' },
          ],
        },
      ],
      'app-dev-ecr',
    );
    expect(plan.items.map((i) => `${i.logicalId} ${i.fate}`)).toEqual([
      'Logs kept',
      'Db snapshot',
      'Bucket kept',
      'Cluster deleted',
    ]);
    expect(plan.items.find((i) => i.logicalId === 'Bucket')?.why).toMatch(/kept with its objects/);
    expect(plan.keptStacks).toEqual([
      { stack: 'app-dev-ecr', why: expect.stringMatching(/ECR repositories/) },
    ]);
  });
});

describe('destroy of a production environment', () => {
  it('lists the protected resources the deletion removes (load balancer, database), not those it keeps', () => {
    const template = {
      Resources: {
        Lb: {
          Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
          Properties: {
            LoadBalancerAttributes: [
              { Key: 'deletion_protection.enabled', Value: 'true' },
              { Key: 'access_logs.s3.enabled', Value: 'true' },
            ],
          },
        },
        Db: {
          Type: 'AWS::RDS::DBInstance',
          DeletionPolicy: 'Snapshot',
          Properties: { DeletionProtection: true },
        },
        Docs: {
          Type: 'AWS::DocDB::DBCluster',
          DeletionPolicy: 'Snapshot',
          Properties: { DeletionProtection: true },
        },
        Table: {
          Type: 'AWS::DynamoDB::Table',
          DeletionPolicy: 'Retain',
          Properties: { DeletionProtectionEnabled: true, TableName: 'shop-prod-orders' },
        },
        Logs: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', Properties: {} },
        DevDb: {
          Type: 'AWS::RDS::DBInstance',
          DeletionPolicy: 'Snapshot',
          Properties: { DeletionProtection: false },
        },
      },
    };
    const resources = Object.entries(template.Resources).map(([logicalId, r]) => ({
      logicalId,
      type: r.Type,
      physicalId: `phys-${logicalId}`,
    }));
    const plan = planDestroy([{ name: 'shop-prod', template, resources }]);
    expect(plan.protection.map((p) => `${p.logicalId} ${p.physicalId}`)).toEqual([
      'Lb phys-Lb',
      'Db phys-Db',
      'Docs phys-Docs',
    ]);
    expect(plan.items.find((i) => i.logicalId === 'Db')?.why).toMatch(
      /final snapshot is taken, then the instance is deleted/,
    );
    expect(plan.items.find((i) => i.logicalId === 'Table')?.why).toBe(
      'kept with its items; the next deploy of this environment adopts it',
    );
    // A bucket with a generated name is kept, but the next deploy creates another one.
    expect(plan.items.find((i) => i.logicalId === 'Logs')?.why).toBe('kept with its objects');
  });
});
