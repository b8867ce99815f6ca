import { assertCloudReady } from '../../../src/model/gate.js';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { allRules, composeStack, example, fixture, groupId, load } from './helpers.js';

describe('web-api: security groups follow the traffic graph exactly', () => {
  const { template } = composeStack({ compose: example('web-api') });
  const rules = allRules(template);
  const alb = groupId(template, 'PublicLoadBalancerSecurityGroup');
  const web = groupId(template, 'AppwebSecurityGroup');
  const api = groupId(template, 'AppapiSecurityGroup');

  it("the API's group has exactly one ingress rule: from the web's group on 5000", () => {
    expect(rules.filter((r) => r.direction === 'ingress' && r.group === api)).toEqual([
      { direction: 'ingress', group: api, peerGroup: web, fromPort: 5000, toPort: 5000 },
    ]);
  });

  it("the web's group admits only the load balancer, on the web's port", () => {
    expect(rules.filter((r) => r.direction === 'ingress' && r.group === web)).toEqual([
      { direction: 'ingress', group: web, peerGroup: alb, fromPort: 8080, toPort: 8080 },
    ]);
  });

  it('only the load balancer admits 0.0.0.0/0, and only on 80', () => {
    const open = rules.filter((r) => r.direction === 'ingress' && r.cidr !== undefined);
    expect(open).toEqual([{ direction: 'ingress', group: alb, cidr: '0.0.0.0/0', fromPort: 80, toPort: 80 }]);
  });

  it('egress is narrow: the ALB only to the web, services only HTTPS out plus their callees', () => {
    const egress = (g: string) =>
      rules
        .filter((r) => r.direction === 'egress' && r.group === g)
        .map((r) => `${r.peerGroup ?? r.cidr}:${r.fromPort}-${r.toPort}`)
        .sort();
    expect(egress(alb)).toEqual([`${web}:8080-8080`]);
    expect(egress(web)).toEqual([`${api}:5000-5000`, '0.0.0.0/0:443-443'].sort());
    expect(egress(api)).toEqual(['0.0.0.0/0:443-443']);
    // No group allows all outbound traffic.
    expect(rules.some((r) => r.direction === 'egress' && r.fromPort === undefined)).toBe(false);
  });

  it('no task gets a public IP and the API is reachable only through Service Connect', () => {
    template.allResourcesProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' } },
    });
    template.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: {
        Enabled: true,
        Services: [
          Match.objectLike({ PortName: 'api-5000', ClientAliases: [{ DnsName: 'api', Port: 5000 }] }),
        ],
      },
    });
    // Only the public service is registered with the load balancer.
    const services = template.findResources('AWS::ECS::Service');
    const withLb = Object.values(services).filter((s) => (s.Properties.LoadBalancers ?? []).length > 0);
    expect(withLb).toHaveLength(1);
    expect(JSON.stringify(withLb[0]!.Properties.LoadBalancers)).toContain('"ContainerPort":8080');
  });

  it('the load balancer is internet-facing, logs to an encrypted TLS-only bucket, routes to web', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.enabled', Value: 'true' }]),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      TargetType: 'ip',
      HealthCheckPath: '/healthz',
    });
  });
});

describe('hello-lb: tasks, registry, cluster, network', () => {
  const { template } = composeStack({ compose: example('hello-lb') });

  it('task definition: Fargate size rounded up, read-only root, awslogs with retention, health check', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '512',
      Memory: '1024',
      RequiresCompatibilities: ['FARGATE'],
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({
          ReadonlyRootFilesystem: true,
          LogConfiguration: Match.objectLike({ LogDriver: 'awslogs' }),
          HealthCheck: {
            Command: Match.arrayWith(['CMD', 'node']),
            Interval: 10,
            Timeout: 3,
            Retries: 3,
            StartPeriod: 5,
          },
          PortMappings: [Match.objectLike({ ContainerPort: 8080 })],
        }),
      ]),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('service: two replicas, circuit breaker with rollback, private subnets', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 2,
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
    });
  });

  it('image comes from an immutable, scanned, encrypted, named ECR repository with a lifecycle rule, by the digest in its own parameter', () => {
    template.hasResourceProperties('AWS::ECR::Repository', {
      ImageTagMutability: 'IMMUTABLE',
      ImageScanningConfiguration: { ScanOnPush: true },
      EncryptionConfiguration: { EncryptionType: 'KMS' },
      LifecyclePolicy: Match.objectLike({
        LifecyclePolicyText: Match.stringLikeRegexp('imageCountMoreThan'),
      }),
      RepositoryName: 'hello-lb-dev/hello',
    });
    template.hasParameter('ImageDigestHello', { Type: 'String', AllowedPattern: '^sha256:[0-9a-f]{64}$' });
    const task = Object.values(template.findResources('AWS::ECS::TaskDefinition'))[0]!;
    expect(JSON.stringify(task.Properties.ContainerDefinitions[0].Image)).toContain(
      '{"Ref":"ApphelloRegistryRepository7E9AC98F"},"@",{"Ref":"ImageDigestHello"}',
    );
  });

  it('cluster has Container Insights; VPC spans 2 AZs with one NAT gateway and flow logs', () => {
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', ResourceType: 'VPC' });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });
});

describe('postgres fixture: RDS, secrets, HTTPS, scaling', () => {
  const { template } = composeStack({ compose: fixture('postgres') });
  const rules = allRules(template);
  const db = groupId(template, 'AppdbSecurityGroup');
  const app = groupId(template, 'AppappSecurityGroup');
  const worker = groupId(template, 'AppworkerSecurityGroup');

  it('the postgres service becomes encrypted, private RDS in isolated subnets (not a Fargate task)', () => {
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      MultiAZ: true, // environment: prod
      DeletionProtection: true,
      DBName: 'shop',
    });
    template.resourceCountIs('AWS::ECS::Service', 2);
    const subnetGroup = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'))[0]!;
    expect(JSON.stringify(subnetGroup.Properties.SubnetIds)).toMatch(/dataSubnet/);
  });

  it('the database admits exactly its two callers on 5432 and nothing else', () => {
    const ingress = rules.filter((r) => r.direction === 'ingress' && r.group === db);
    expect(ingress.map((r) => `${r.peerGroup}:${r.fromPort}`).sort()).toEqual(
      [`${app}:5432`, `${worker}:5432`].sort(),
    );
    expect(
      rules
        .filter((r) => r.direction === 'egress' && r.group === db)
        .every((r) => r.cidr === '255.255.255.255/32'),
    ).toBe(true);
  });

  it('callers get the generated password from Secrets Manager, never in plain text', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"shop"}' }),
    });
    for (const task of Object.values(template.findResources('AWS::ECS::TaskDefinition'))) {
      const c = task.Properties.ContainerDefinitions[0];
      const secrets = (c.Secrets as Array<{ Name: string; ValueFrom: unknown }>).map((s) => s.Name);
      expect(secrets).toContain('PGPASSWORD');
      expect(JSON.stringify(c.Secrets)).toMatch(/:password::/);
      const env = c.Environment as Array<{ Name: string; Value: unknown }>;
      expect(env.map((e) => e.Name)).toEqual(expect.arrayContaining(['PGHOST', 'PGPORT', 'PGDATABASE']));
      expect(env.map((e) => e.Name)).not.toContain('PGPASSWORD');
      // The user name is the model's (POSTGRES_USER), not a secret.
      expect(env).toContainEqual({ Name: 'PGUSER', Value: 'shop' });
    }
  });

  it('sensitive-looking variables are Secrets Manager references; compose secrets arrive as files', () => {
    const task = Object.values(template.findResources('AWS::ECS::TaskDefinition')).find((t) =>
      JSON.stringify(t).includes('LOG_LEVEL'),
    )!;
    const [c, init] = task.Properties.ContainerDefinitions;
    expect(c.Name).toBe('app'); // the compose service name
    expect((c.Secrets as Array<{ Name: string }>).map((s) => s.Name).sort()).toEqual(
      ['PGPASSWORD', 'STRIPE_API_KEY'].sort(),
    );
    expect((c.Environment as Array<{ Name: string }>).map((e) => e.Name)).not.toContain('STRIPE_API_KEY');
    // session_key: a Secrets Manager value written by the init container to a task volume that the
    // app mounts read-only at /run/secrets, before the app starts.
    expect(init.Name).toBe('shipshape-init');
    expect(init.Essential).toBe(false);
    expect((init.Secrets as Array<{ Name: string }>).map((s) => s.Name)).toEqual(['SHIPSHAPE_SECRET_0']);
    expect(init.Command.join(' ')).toContain("> '/run/secrets/session_key'");
    expect(init.ReadonlyRootFilesystem).toBe(true);
    expect(c.MountPoints).toContainEqual({
      ContainerPath: '/run/secrets',
      ReadOnly: true,
      SourceVolume: 'compose-secrets',
    });
    expect(c.DependsOn).toEqual([{ ContainerName: 'shipshape-init', Condition: 'SUCCESS' }]);
    // The compose secret file's content never reaches a template.
    expect(JSON.stringify(template.toJSON())).not.toContain('not-a-real-secret');
  });

  it('HTTPS on 443 with the certificate; 80 only redirects; 0.0.0.0/0 only on the ALB', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: Match.stringLikeRegexp('^arn:aws:acm:') }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [
        { Type: 'redirect', RedirectConfig: Match.objectLike({ Port: '443', Protocol: 'HTTPS' }) },
      ],
    });
    const alb = groupId(template, 'PublicLoadBalancerSecurityGroup');
    const open = rules.filter((r) => r.direction === 'ingress' && r.cidr !== undefined);
    expect(open.map((r) => `${r.group}:${r.cidr}:${r.fromPort}`).sort()).toEqual([
      `${alb}:0.0.0.0/0:443`,
      `${alb}:0.0.0.0/0:80`,
    ]);
  });

  it('per-AZ NAT, autoscaling from x-shipshape, log retention from x-shipshape, tmpfs as scratch volume', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 6,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 55 }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '512',
      Memory: '1024',
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({
          MountPoints: Match.arrayWith([
            { ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'scratch0' },
          ]),
        }),
      ]),
    });
  });
});

describe('nat: none', () => {
  const { template } = composeStack({
    app: load(example('web-api'), (a) => {
      a.x.aws.nat = 'none';
    }),
  });

  it('has no NAT gateway and reaches AWS through VPC endpoints (ECR api/dkr, Logs, Secrets Manager, S3)', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) =>
      JSON.stringify(e.Properties.ServiceName),
    );
    for (const svc of ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', '.s3']) {
      expect(
        endpoints.some((e) => e.includes(svc)),
        svc,
      ).toBe(true);
    }
    // Endpoints admit the VPC only, on 443; 0.0.0.0/0 only reaches the load balancer.
    const byCidr = allRules(template).filter((r) => r.direction === 'ingress' && r.cidr !== undefined);
    const endpointRules = byCidr.filter((r) => /Ecr|Logs|SecretsManager/.test(r.group));
    expect(endpointRules).toHaveLength(4);
    for (const r of endpointRules)
      expect(r).toMatchObject({ cidr: '10.0.0.0/16', fromPort: 443, toPort: 443 });
    const open = byCidr.filter((r) => r.cidr === '0.0.0.0/0');
    expect(open.every((r) => r.group.includes('PublicLoadBalancer'))).toBe(true);
    // Tasks run in isolated subnets (no route out).
    template.resourceCountIs('AWS::EC2::InternetGateway', 1); // for the public load balancer only
  });
});

describe('ComposeApp as a library', () => {
  it('explains that a region is needed instead of failing deep inside CDK', async () => {
    const { App, Stack } = await import('aws-cdk-lib');
    const { ComposeApp } = await import('../../../src/infra/compose-app.js');
    const stack = new Stack(new App(), 'NoRegion');
    expect(() => new ComposeApp(stack, 'App', { app: assertCloudReady(load(example('web-api'))) })).toThrow(
      /needs a stack with a region/,
    );
  });

  it('builds only an app the cloud gate passed: a hand-made one is refused, and a refused app never gets that far', async () => {
    const { App, Stack } = await import('aws-cdk-lib');
    const { ComposeApp } = await import('../../../src/infra/compose-app.js');
    const stack = new Stack(new App(), 'Forged', { env: { region: 'us-east-1' } });
    const model = load(example('web-api'));
    expect(() => new ComposeApp(stack, 'App', { app: { model, acknowledgedUnsafe: [] } })).toThrow(
      /the cloud gate passed/,
    );
    const root = load(example('web-api'), (m) => {
      m.services[0]!.privileged = true;
    });
    expect(() => assertCloudReady(root)).toThrow(/cannot go to the cloud/);
  });

  it('accepts a loaded model and exposes its parts', () => {
    const { composeApp } = composeStack({ app: load(example('web-api')) });
    expect([...composeApp.services.keys()]).toEqual(['web', 'api']);
    // The services' repositories, and the task init container's (web and api run as non-root).
    expect([...composeApp.repositories.keys()]).toEqual([
      'web-api-dev/web',
      'web-api-dev/shipshape/shipshape-init',
      'web-api-dev/api',
    ]);
    expect(composeApp.loadBalancer).toBeDefined();
    expect(composeApp.datastores.size).toBe(0);
  });
});

describe('two public services', () => {
  const { template } = composeStack({ compose: fixture('two-public') });
  it('the first gets every path, the second its host header; each admits only the load balancer', () => {
    const rules = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule')).map(
      (r) => `${r.Properties.Priority}:${JSON.stringify(r.Properties.Conditions)}`,
    );
    expect(rules).toHaveLength(2);
    expect(rules.find((r) => r.startsWith('50000:'))).toContain('"/*"');
    expect(rules.find((r) => r.startsWith('2:'))).toContain('"admin.*"');
    const alb = groupId(template, 'PublicLoadBalancerSecurityGroup');
    for (const [name, port] of [
      ['site', 8080],
      ['admin', 9000],
    ] as const) {
      const g = groupId(template, `App${name}SecurityGroup`);
      expect(allRules(template).filter((r) => r.direction === 'ingress' && r.group === g)).toEqual([
        { direction: 'ingress', group: g, peerGroup: alb, fromPort: port, toPort: port },
      ]);
    }
  });
});

describe('service names that match ComposeApp parts', () => {
  it('a service called "Network" does not collide with the network construct', () => {
    const app = load(example('web-api'), (a) => {
      for (const s of a.services) if (s.name === 'api') s.name = 'Network';
      for (const e of a.traffic.edges) if (e.to === 'api') e.to = 'Network';
    });
    const { composeApp } = composeStack({ app });
    expect(composeApp.services.get('Network')!.node.path).toBe('Test/App/service-Network/Service');
  });
});
