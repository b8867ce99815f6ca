/**
 * Each backing service of test/fixtures/infra/backing as its managed AWS service (assertions on
 * the synthesized template): engine and version, encryption, subnets, the one ingress rule per
 * caller on the engine's port, ECS secrets, EFS access points and the 2049 rule, task-role
 * permissions scoped to the resources.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { allRules, composeStack, fixture, groupId, load, refId } from './helpers.js';

/** Template JSON, read loosely: the assertions check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON has no static type
type Json = any;

type Resources = Record<
  string,
  {
    Type: string;
    Properties: Record<string, Json>;
    DeletionPolicy?: string;
    UpdateReplacePolicy?: string;
    Metadata?: Record<string, Json>;
  }
>;

const only = (template: Template, type: string) => {
  const found = Object.entries(template.toJSON().Resources as Resources).filter(([, r]) => r.Type === type);
  expect(found, type).toHaveLength(1);
  return { id: found[0]![0], ...found[0]![1] };
};
const refs = (list: unknown[]) => list.map((x) => refId(x) ?? '');
const container = (template: Template, service: string) => {
  const task = Object.entries(template.toJSON().Resources as Resources).find(
    ([id, r]) => r.Type === 'AWS::ECS::TaskDefinition' && id.startsWith(`App${service}Service`),
  )![1];
  return task.Properties.ContainerDefinitions[0] as {
    Environment: { Name: string; Value: unknown }[];
    Secrets: { Name: string; ValueFrom: unknown }[];
    MountPoints: { ContainerPath: string; ReadOnly: boolean; SourceVolume: string }[];
  };
};
/** Every statement of the task role policy of a service. */
const taskStatements = (template: Template, service: string) =>
  Object.entries(template.toJSON().Resources as Resources)
    .filter(([id, r]) => r.Type === 'AWS::IAM::Policy' && id.startsWith(`App${service}ServiceTaskTaskRole`))
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement as Record<string, Json>[]);

describe('backing fixture (dev)', () => {
  let template: Template;
  let json: string;
  beforeAll(() => {
    template = composeStack({ app: load(fixture('backing')) }).template;
    json = JSON.stringify(template.toJSON());
  }, 120_000);

  it('datastores are managed services, not tasks; isolated subnets hold every network datastore', () => {
    const services = Object.values(template.findResources('AWS::ECS::Service')).map(
      (s) => s.Properties.ServiceName,
    );
    expect(services.sort()).toEqual(['api', 'ledger', 'worker']);
    const isolated = (ids: string[]) => ids.every((id) => /NetworkVpcdataSubnet\dSubnet/.test(id));
    expect(isolated(refs(only(template, 'AWS::RDS::DBSubnetGroup').Properties.SubnetIds))).toBe(true);
    expect(isolated(refs(only(template, 'AWS::DocDB::DBSubnetGroup').Properties.SubnetIds))).toBe(true);
    const cacheGroups = Object.values(template.findResources('AWS::ElastiCache::SubnetGroup'));
    expect(cacheGroups).toHaveLength(2);
    for (const g of cacheGroups) expect(isolated(refs(g.Properties.SubnetIds))).toBe(true);
  });

  it('mariadb → RDS for MariaDB 10.6 (never a patch RDS retires): encrypted, private, TLS required, a final snapshot on deletion', () => {
    const db = only(template, 'AWS::RDS::DBInstance');
    expect(db.Properties).toMatchObject({
      Engine: 'mariadb',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      MultiAZ: false,
      DeletionProtection: false,
      BackupRetentionPeriod: 7,
      DBName: 'example',
      MasterUsername: 'root',
    });
    // The precision RDS keeps: it creates the instance at 10.6's default minor and keeps it patched.
    expect(db.Properties.EngineVersion).toBe('10.6');
    expect(db.Metadata?.['cfn-lint']).toEqual({ config: { ignore_checks: ['E3691', 'W3691'] } });
    expect(db.DeletionPolicy).toBe('Snapshot');
    expect(only(template, 'AWS::RDS::DBParameterGroup').Properties.Parameters).toEqual({
      require_secure_transport: '1',
    });
  });

  it('redis → ElastiCache Redis OSS 7.1: encrypted at rest and in transit, AUTH token from Secrets Manager', () => {
    const cache = only(template, 'AWS::ElastiCache::ReplicationGroup');
    expect(cache.Properties).toMatchObject({
      Engine: 'redis',
      EngineVersion: '7.1',
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
      NumCacheClusters: 1,
      Port: 6379,
    });
    expect(JSON.stringify(cache.Properties.AuthToken)).toMatch(
      /resolve:secretsmanager:.*:SecretString:password::/,
    );
    expect(cache.DeletionPolicy).toBe('Delete');
  });

  it('memcached → ElastiCache memcached with TLS; mongo → DocumentDB 5.0 with TLS, encrypted', () => {
    expect(only(template, 'AWS::ElastiCache::CacheCluster').Properties).toMatchObject({
      Engine: 'memcached',
      EngineVersion: '1.6.22',
      TransitEncryptionEnabled: true,
    });
    const docs = only(template, 'AWS::DocDB::DBCluster');
    expect(docs.Properties).toMatchObject({ EngineVersion: '5.0.0', StorageEncrypted: true, Port: 27017 });
    expect(docs.Properties.EnableCloudwatchLogsExports).toEqual(['audit', 'profiler']);
    expect(only(template, 'AWS::DocDB::DBClusterParameterGroup').Properties).toMatchObject({
      Family: 'docdb5.0',
      Parameters: { tls: 'enabled', audit_logs: 'enabled' },
    });
  });

  it('each network datastore admits exactly one rule per caller, on its port, and nothing else', () => {
    const rules = allRules(template);
    const api = groupId(template, 'AppapiSecurityGroup');
    for (const [store, port] of [
      ['Appdb', 3306],
      ['Appcache', 6379],
      ['Appdocs', 27017],
      ['Appmemo', 11211],
    ] as const) {
      const group = groupId(template, `${store}SecurityGroup`);
      expect(rules.filter((r) => r.group === group && r.direction === 'ingress')).toEqual([
        { direction: 'ingress', group, peerGroup: api, fromPort: port, toPort: port },
      ]);
      // No egress at all (CDK's closed-group placeholder is the only egress entry).
      expect(rules.filter((r) => r.group === group && r.direction === 'egress').map((r) => r.cidr)).toEqual([
        '255.255.255.255/32',
      ]);
      expect(rules).toContainEqual({
        direction: 'egress',
        group: api,
        peerGroup: group,
        fromPort: port,
        toPort: port,
      });
    }
    // The stand-ins have no group: DynamoDB and S3 are reached over HTTPS with the task role.
    expect(() => groupId(template, 'AppddbSecurityGroup')).toThrow();
  });

  it("callers get the engines' variables, endpoints for their own, ECS secrets for passwords, no stand-in endpoints", () => {
    const c = container(template, 'api');
    const env = Object.fromEntries(c.Environment.map((e) => [e.Name, e.Value]));
    expect(env.MYSQL_HOST).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^AppdbDatastoreInstance/), 'Endpoint.Address'],
    });
    expect(env.DB_HOST).toEqual(env.MYSQL_HOST);
    expect(env.CACHE_URL).toEqual({
      'Fn::Join': [
        '',
        [
          'rediss://',
          { 'Fn::GetAtt': [expect.stringMatching(/^AppcacheDatastoreCache/), 'PrimaryEndPoint.Address'] },
          ':6379/0',
        ],
      ],
    });
    expect(env.MESSAGES_TABLE).toEqual({ Ref: expect.stringMatching(/^AppddbDatastoreTablemessages/) });
    expect(JSON.stringify(env.UPLOAD_BUCKET)).toContain('backing-dev-uploads-');
    expect(env.AWS_REGION).toBe('us-east-1'); // the stack's region (the test stack's, here)
    for (const dropped of ['AWS_ENDPOINT_URL', 'S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
      expect(env, dropped).not.toHaveProperty(dropped);
    const secrets = Object.fromEntries(c.Secrets.map((s) => [s.Name, JSON.stringify(s.ValueFrom)]));
    expect(Object.keys(secrets).sort()).toEqual([
      'CACHE_PASSWORD',
      'MONGODB_PASSWORD',
      'MYSQL_PASSWORD',
      'REDIS_PASSWORD',
    ]);
    expect(secrets.MYSQL_PASSWORD).toMatch(/AppdbDatastoreInstanceSecretAttachment.*:password::/);
    expect(secrets.CACHE_PASSWORD).toMatch(/AppcacheDatastoreAuthToken.*:password::/);
    expect(secrets.REDIS_PASSWORD).toBe(secrets.CACHE_PASSWORD);
    // No compose value of a password reaches the template.
    expect(json).not.toContain('dev-only');
    expect(json).not.toContain('not-a-real-password');
  });

  it("the compose secret that is mariadb's password carries the generated password to the API's file", () => {
    const task = Object.entries(template.toJSON().Resources as Resources).find(
      ([id, r]) => r.Type === 'AWS::ECS::TaskDefinition' && id.startsWith('AppapiService'),
    )![1];
    const init = (task.Properties.ContainerDefinitions as Json[]).find((x) => x.Name === 'shipshape-init');
    expect(JSON.stringify(init.Secrets)).toMatch(/AppdbDatastoreInstanceSecretAttachment.*:password::/);
    expect(
      Object.keys(template.findResources('AWS::SecretsManager::Secret')).some((id) =>
        id.includes('Secretdbpassword'),
      ),
    ).toBe(false);
  });

  it('DynamoDB: on-demand, encrypted, keys and TTL from x-shipshape; the caller may use exactly those items', () => {
    const table = only(template, 'AWS::DynamoDB::Table');
    expect(table.Properties).toMatchObject({
      TableName: 'backing-dev-messages',
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
    const statements = taskStatements(template, 'api').filter((s) =>
      JSON.stringify(s.Action).includes('dynamodb:'),
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]!.Resource).toEqual({ 'Fn::GetAtt': [table.id, 'Arn'] });
    expect(statements[0]!.Action).not.toContain('dynamodb:*');
    expect(statements[0]!.Action).toContain('dynamodb:PutItem');
    expect(
      taskStatements(template, 'worker').some((s) => JSON.stringify(s.Action).includes('dynamodb:')),
    ).toBe(false);
  });

  it('S3: encrypted, public access blocked, TLS only, access logs; the caller may list the bucket and use its objects only', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    const [dataId, data] = Object.entries(buckets).find(([id]) => id.includes('Bucketuploads'))!;
    expect(data.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: expect.stringMatching(/^AppobjectsDatastoreAccessLogs/) },
        LogFilePrefix: 'uploads/',
      },
    });
    expect(data.Properties.VersioningConfiguration).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: dataId },
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      }),
    });
    // The bucket's name (and so its ARN) is derived, the same in every stack that names it; the
    // stack's region (and, when deploying, its account) is written as is (lifecycle.test.ts).
    const name = { 'Fn::Join': ['', ['backing-dev-uploads-', { Ref: 'AWS::AccountId' }, '-us-east-1']] };
    expect(data.Properties.BucketName).toEqual(name);
    const arn = (suffix: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':s3:::backing-dev-uploads-',
          { Ref: 'AWS::AccountId' },
          `-us-east-1${suffix}`,
        ],
      ],
    });
    const s3 = taskStatements(template, 'api').filter((s) => JSON.stringify(s.Action).includes('s3:'));
    expect(s3).toEqual([
      expect.objectContaining({ Action: 's3:ListBucket', Resource: arn('') }),
      expect.objectContaining({
        Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: arn('/*'),
      }),
    ]);
    // No statement of any task role grants everything.
    for (const service of ['api', 'worker', 'ledger'])
      for (const s of taskStatements(template, service)) {
        expect(s.Resource).not.toBe('*');
        expect(JSON.stringify(s.Action)).not.toMatch(/:\*"/);
      }
  });

  it('EFS: encrypted, mount targets in the task subnets, one access point per volume owned by the model uid/gid', () => {
    const fs = only(template, 'AWS::EFS::FileSystem');
    expect(fs.Properties.Encrypted).toBe(true);
    expect(fs.Properties.BackupPolicy).toBeUndefined();
    expect(fs.Properties.FileSystemPolicy.Statement).toEqual([
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ]);
    const targets = Object.values(template.findResources('AWS::EFS::MountTarget'));
    expect(targets.map((t) => refId(t.Properties.SubnetId)).every((id) => /privateSubnet/.test(id!))).toBe(
      true,
    );
    const points = Object.values(template.findResources('AWS::EFS::AccessPoint')).map((a) => [
      a.Properties.RootDirectory.Path,
      a.Properties.PosixUser,
      a.Properties.RootDirectory.CreationInfo,
    ]);
    expect(points.sort()).toEqual(
      [
        [
          '/ledger-data',
          { Uid: '999', Gid: '999' },
          { OwnerUid: '999', OwnerGid: '999', Permissions: '750' },
        ],
        ['/shared', { Uid: '2000', Gid: '3000' }, { OwnerUid: '2000', OwnerGid: '3000', Permissions: '750' }],
        [
          '/uploads',
          { Uid: '1000', Gid: '1000' },
          { OwnerUid: '1000', OwnerGid: '1000', Permissions: '750' },
        ],
      ].sort(),
    );
    // The database's own volume (db-data) is not created: its data lives in RDS.
    expect(json).not.toContain('/db-data');
  });

  it('NFS (2049) only from the services that mount volumes; read-only mounts stay read-only, with mount-only rights', () => {
    const efs = groupId(template, 'AppVolumesSecurityGroup');
    const ingress = allRules(template).filter((r) => r.group === efs && r.direction === 'ingress');
    const callers = ['api', 'worker', 'ledger'].map((s) => groupId(template, `App${s}SecurityGroup`));
    expect(ingress.map((r) => [r.peerGroup, r.fromPort, r.toPort]).sort()).toEqual(
      callers.map((g) => [g, 2049, 2049]).sort(),
    );
    const mounts = container(template, 'api').MountPoints;
    expect(mounts.find((m) => m.ContainerPath === '/srv/shared')?.ReadOnly).toBe(true);
    expect(mounts.find((m) => m.ContainerPath === '/srv/uploads')?.ReadOnly).toBe(false);
    const efsGrants = taskStatements(template, 'api').filter((s) =>
      JSON.stringify(s.Action).includes('elasticfilesystem'),
    );
    expect(efsGrants.map((s) => s.Action)).toEqual([
      ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      'elasticfilesystem:ClientMount',
    ]);
    for (const g of efsGrants)
      expect(g.Condition.StringEquals['elasticfilesystem:AccessPointArn']).toBeDefined();
    const task = Object.entries(template.toJSON().Resources as Resources).find(
      ([id, r]) => r.Type === 'AWS::ECS::TaskDefinition' && id.startsWith('AppapiService'),
    )![1];
    for (const v of (task.Properties.Volumes as Json[]).filter((x) => x.EFSVolumeConfiguration))
      expect(v.EFSVolumeConfiguration).toMatchObject({
        TransitEncryption: 'ENABLED',
        AuthorizationConfig: { IAM: 'ENABLED' },
      });
  });

  it('a datastore kept as a container runs as its data user with its socket directory as scratch', () => {
    const task = Object.entries(template.toJSON().Resources as Resources).find(
      ([id, r]) => r.Type === 'AWS::ECS::TaskDefinition' && id.startsWith('AppledgerService'),
    )![1];
    const c = task.Properties.ContainerDefinitions[0];
    expect(c.User).toBe('999:999');
    expect(c.ReadonlyRootFilesystem).toBe(true);
    expect(c.MountPoints.map((m: { ContainerPath: string }) => m.ContainerPath).sort()).toEqual([
      '/tmp',
      '/var/lib/postgresql/data',
      '/var/run/postgresql',
    ]);
  });
});

describe('backing fixture (prod)', () => {
  let template: Template;
  beforeAll(() => {
    template = composeStack({
      // prod requires HTTPS on the entries: an imported certificate is the least setup.
      app: load(fixture('backing'), (a) => {
        a.x.environment = 'prod';
        a.x.aws.certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/backing';
      }),
    }).template;
  });

  it('production: Multi-AZ, deletion protection, replicas, point-in-time recovery, versioning, EFS backups; databases leave a final snapshot, the rest is retained', () => {
    const db = only(template, 'AWS::RDS::DBInstance');
    expect(db.Properties).toMatchObject({
      MultiAZ: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 14,
    });
    // A running database kept after deletion would hold the VPC's subnets and its group (see KEPT_DATABASES).
    expect(db.DeletionPolicy).toBe('Snapshot');
    const cache = only(template, 'AWS::ElastiCache::ReplicationGroup');
    expect(cache.Properties).toMatchObject({
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
      SnapshotRetentionLimit: 7,
    });
    expect(cache.DeletionPolicy).toBe('Snapshot');
    const docs = only(template, 'AWS::DocDB::DBCluster');
    expect(docs.Properties.DeletionProtection).toBe(true);
    expect(docs.DeletionPolicy).toBe('Snapshot');
    expect(Object.keys(template.findResources('AWS::DocDB::DBInstance'))).toHaveLength(2);
    const table = only(template, 'AWS::DynamoDB::Table');
    expect(table.Properties).toMatchObject({
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(table.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
    const fs = only(template, 'AWS::EFS::FileSystem');
    expect(fs.Properties.BackupPolicy).toEqual({ Status: 'ENABLED' });
    expect(fs.DeletionPolicy).toBe('Retain');
  });

  it('production: each datastore has its own rotated customer managed key for its secret and tables; RDS enhanced monitoring', () => {
    const keys = template.findResources('AWS::KMS::Key');
    const keyIds = Object.keys(keys).filter((id) => id.includes('Datastore'));
    // db, cache, docs and ddb have a secret or tables; the S3 and EFS stores keep their own encryption.
    expect(keyIds).toHaveLength(4);
    for (const id of keyIds) {
      expect(keys[id]!.Properties.EnableKeyRotation).toBe(true);
      expect(keys[id]!.DeletionPolicy).toBe('Retain');
      // Callers are granted on their side (IAM), never in the key policy: with `--split` a key
      // policy naming a caller's role would make the two stacks refer to each other.
      expect(JSON.stringify(keys[id]!.Properties.KeyPolicy)).not.toMatch(/Role/);
    }
    const secretKeyGrants = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.includes('ExecutionRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: unknown; Condition?: unknown }[])
      .filter((st) => st.Action === 'kms:Decrypt');
    expect(secretKeyGrants.length).toBeGreaterThan(0);
    for (const st of secretKeyGrants) expect(JSON.stringify(st.Condition)).toContain('secretsmanager.');
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    expect(Object.keys(secrets)).toHaveLength(3);
    for (const secret of Object.values(secrets)) {
      expect(keyIds).toContain(secret.Properties.KmsKeyId['Fn::GetAtt'][0]);
    }
    const table = only(template, 'AWS::DynamoDB::Table');
    expect(table.Properties.SSESpecification).toMatchObject({ SSEEnabled: true, SSEType: 'KMS' });
    expect(keyIds).toContain(table.Properties.SSESpecification.KMSMasterKeyId['Fn::GetAtt'][0]);
    expect(only(template, 'AWS::RDS::DBInstance').Properties.MonitoringInterval).toBe(60);
    // The table's callers may use its key, only through DynamoDB, with no wildcard action.
    const kmsStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Condition?: unknown }[],
      )
      .filter((st) => [st.Action].flat().some((a) => a.startsWith('kms:')) && st.Condition);
    expect(kmsStatements.length).toBeGreaterThan(0);
    for (const st of kmsStatements) {
      expect([st.Action].flat().every((a) => !a.includes('*'))).toBe(true);
      expect(JSON.stringify(st.Condition)).toContain('kms:ViaService');
    }
  });
});
