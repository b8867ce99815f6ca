import { CfnParameter, Stack, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ShipshapeError } from '../model/errors.js';
import { loadApp, type LoadOptions } from '../model/load.js';
import { INTERNET, type AppModel, type ServiceModel } from '../model/types.js';
import { AppCluster } from './cluster.js';
import { backingServiceKind, PostgresDatabase } from './database.js';
import { PublicLoadBalancer } from './load-balancer.js';
import { Network } from './network.js';
import { ServiceRepository } from './registry.js';
import { allowTcp, newClosedGroup, newServiceGroup } from './security.js';
import { ComposeService } from './service.js';
import { applyTags } from './tags.js';
import { assertNoUnsafeSettings, type UnsafeFinding } from './unsafe.js';

const RESERVED_IDS = new Set(['Network', 'Cluster', 'PublicLoadBalancer']);

export interface ComposeAppProps {
  /** Compose file(s) to load with `loadApp`. One of `compose` or `app` is required. */
  compose?: string | string[];
  /** Options for `loadApp` when `compose` is given. Default: current directory and environment. */
  loadOptions?: LoadOptions;
  /** An already loaded app model (takes precedence over `compose`). */
  app?: AppModel;
  /**
   * Where a service's (or database's) constructs go. Default: this construct, so everything is in
   * one stack. `synthesize` passes per-service stacks here when the app is too large for one.
   */
  scopeFor?: (serviceName: string) => Construct;
}

/**
 * A whole compose app on AWS: network, cluster, registry, public load balancer, one Fargate service
 * per compose service, RDS for `postgres` services, and security groups wired from the traffic
 * graph so each service admits exactly its allowed callers. Usable in any CDK app:
 *
 * ```ts
 * new ComposeApp(stack, 'App', { compose: 'compose.yaml' });
 * ```
 */
export class ComposeApp extends Construct {
  readonly app: AppModel;
  readonly network: Network;
  readonly cluster: AppCluster;
  readonly loadBalancer?: PublicLoadBalancer;
  readonly services = new Map<string, ComposeService>();
  readonly repositories = new Map<string, ServiceRepository>();
  readonly databases = new Map<string, PostgresDatabase>();
  /** Unsafe settings the compose file acknowledged (synth reports them). */
  readonly acknowledgedUnsafe: UnsafeFinding[];

  constructor(scope: Construct, id: string, props: ComposeAppProps) {
    super(scope, id);
    if (props.app) this.app = props.app;
    else if (props.compose) {
      const files = Array.isArray(props.compose) ? props.compose : [props.compose];
      this.app = loadApp(files, props.loadOptions);
    } else throw new Error('ComposeApp needs `compose` (file paths) or `app` (a loaded model)');
    const app = this.app;
    this.acknowledgedUnsafe = assertNoUnsafeSettings(app);
    const own = new Map<string, Construct>();
    const scopeFor =
      props.scopeFor ??
      ((name: string) => {
        let where = own.get(name);
        // Service names are construct ids here; keep clear of this construct's own children.
        const id = RESERVED_IDS.has(name) ? `service-${name}` : name;
        if (!where) own.set(name, (where = new Construct(this, id)));
        return where;
      });

    const region = Stack.of(this).region;
    if (Token.isUnresolved(region) && app.services.some((s) => s.public)) {
      throw new ShipshapeError('ComposeApp needs a stack with a region', {
        hint: "create the stack with env: { region: 'us-east-1' } (the load balancer's access logs need it); the account may stay unset",
      });
    }
    const backing = app.services.filter((s) => backingServiceKind(s) === 'postgres');
    const runtime = app.services.filter((s) => backingServiceKind(s) === undefined);
    this.network = new Network(this, 'Network', {
      nat: app.x.aws.nat,
      logRetentionDays: app.x.aws.logRetentionDays,
      isolatedSubnets: backing.length > 0,
    });
    const vpc = this.network.vpc;
    this.cluster = new AppCluster(this, 'Cluster', { vpc, namespaceName: `${app.name}.internal` });
    if (runtime.some((s) => s.public)) {
      this.loadBalancer = new PublicLoadBalancer(this, 'PublicLoadBalancer', {
        vpc,
        certificateArn: app.x.aws.certificateArn,
      });
    }

    const composeSecrets = this.createComposeSecrets(runtime);
    const production = /^prod/i.test(app.x.environment);
    for (const s of backing) {
      this.databases.set(
        s.name,
        new PostgresDatabase(scopeFor(s.name), 'Database', {
          service: s,
          vpc,
          securityGroup: newClosedGroup(
            this,
            `${s.name}SecurityGroup`,
            vpc,
            `${s.name} database: only its callers on 5432`,
          ),
          subnets: this.network.dataSubnets,
          production,
        }),
      );
    }

    const callers = new Map<string, string[]>();
    for (const e of app.traffic.edges) {
      if (e.from !== INTERNET) callers.set(e.to, [...(callers.get(e.to) ?? []), e.from]);
    }
    const imageTags = new Map<Stack, string>();
    const imageTagFor = (where: Construct): string => {
      const stack = Stack.of(where);
      let tag = imageTags.get(stack);
      if (!tag) {
        tag = new CfnParameter(stack, 'ImageTag', {
          type: 'String',
          description: 'Tag of the built images to run (immutable; deploy passes the git commit)',
          allowedPattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
          constraintDescription: 'a Docker image tag',
        }).valueAsString;
        imageTags.set(stack, tag);
      }
      return tag;
    };

    for (const s of runtime) {
      const where = scopeFor(s.name);
      let repository: ServiceRepository | undefined;
      if (s.build) {
        repository = new ServiceRepository(where, 'Registry');
        this.repositories.set(s.name, repository);
      }
      const extraEnvironment: Record<string, string> = {};
      const extraSecrets: ComposeServiceProps['extraSecrets'] = {};
      for (const e of app.traffic.edges.filter((e) => e.from === s.name)) {
        const db = this.databases.get(e.to);
        if (!db) continue;
        const conn = db.connectionFor();
        Object.assign(extraEnvironment, conn.environment);
        Object.assign(extraSecrets, conn.secrets);
      }
      const service = new ComposeService(where, 'Service', {
        service: s,
        securityGroup: newServiceGroup(
          this,
          `${s.name}SecurityGroup`,
          vpc,
          `${s.name}: only the callers the traffic graph allows`,
        ),
        cluster: this.cluster.cluster,
        namespace: this.cluster.namespace,
        subnets: this.network.taskSubnets,
        repository: repository?.repository,
        imageTag: repository ? imageTagFor(where) : undefined,
        logRetentionDays: app.x.aws.logRetentionDays,
        serviceConnectServer: (callers.get(s.name) ?? []).length > 0,
        extraEnvironment,
        extraSecrets,
        composeSecrets,
      });
      this.services.set(s.name, service);
    }
    this.wireTraffic(scopeFor);

    applyTags(this, app);
    if (props.scopeFor) for (const s of app.services) applyTags(props.scopeFor(s.name), app);
  }

  /** One Secrets Manager secret per compose top-level secret that a deployed service uses. */
  private createComposeSecrets(runtime: ServiceModel[]): Map<string, secretsmanager.ISecret> {
    const used = new Set(runtime.flatMap((s) => s.secrets.map((r) => r.source)));
    const out = new Map<string, secretsmanager.ISecret>();
    for (const name of [...used].sort()) {
      const secret = new secretsmanager.Secret(this, `Secret-${name}`, {
        description: `${this.app.name}: compose secret "${name}" (set its value with put-secret-value)`,
        generateSecretString: { excludePunctuation: true, passwordLength: 32 },
      });
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Compose secrets hold values the operator supplies; rotating them needs an app-specific rotation function.',
      });
      out.set(name, secret);
    }
    return out;
  }

  /**
   * Security group rules from the traffic graph: exactly one ingress rule (and its egress twin) per
   * allowed (caller, callee port). Load balancer → public service rules are added by CDK when the
   * target group is attached to the listener.
   */
  private wireTraffic(scopeFor: (name: string) => Construct): void {
    for (const e of this.app.traffic.edges) {
      const callee = this.services.get(e.to);
      if (e.from === INTERNET) {
        if (!callee || !this.loadBalancer) continue;
        const model = this.app.services.find((s) => s.name === e.to)!;
        const port = e.ports[0];
        if (port === undefined) continue;
        this.loadBalancer.addService(
          scopeFor(e.to),
          e.to,
          callee.fargateService.loadBalancerTarget({ containerName: 'app', containerPort: port }),
          port,
          model.x.healthPath,
        );
        continue;
      }
      const caller = this.services.get(e.from);
      if (!caller) continue;
      const where = scopeFor(e.from);
      const db = this.databases.get(e.to);
      if (db) {
        allowTcp(
          where,
          `To-${e.to}-${db.port}`,
          caller.securityGroup,
          db.securityGroup,
          db.port,
          `${e.from} to ${e.to}`,
        );
        continue;
      }
      if (!callee) continue;
      for (const port of e.ports) {
        allowTcp(
          where,
          `To-${e.to}-${port}`,
          caller.securityGroup,
          callee.securityGroup,
          port,
          `${e.from} to ${e.to}`,
        );
      }
    }
  }
}

type ComposeServiceProps = ConstructorParameters<typeof ComposeService>[2];
