import { CfnParameter, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { loadApp, type LoadOptions } from '../model/load.js';
import { INTERNET, type AppModel, type ServiceModel, type TrafficEdge } from '../model/types.js';
import { assertCloudReady, cloudContainers, type GateFinding } from '../policy/gate.js';
import { AppCluster } from './cluster.js';
import { PostgresDatabase } from './database.js';
import { PublicLoadBalancer } from './load-balancer.js';
import { Network } from './network.js';
import { PublicNetworkLoadBalancer } from './network-load-balancer.js';
import { imageTagParameterName, repositoryName, ServiceRepository } from './registry.js';
import { resolveProfile, type DeployProfile } from './profile.js';
import { applyProfile, httpsCertificateArn } from './production.js';
import { allowTraffic, newClosedGroup, newServiceGroup } from './security.js';
import { ComposeService } from './service.js';
import { applyTags } from './tags.js';
import { validationError } from './errors.js';

const RESERVED_IDS = new Set(['Network', 'Cluster', 'PublicLoadBalancer', 'PublicNetworkLoadBalancer']);

export interface ComposeAppProps {
  /**
   * Compose file(s) to load with `loadApp`. One of `compose` or `app` is required.
   * @default none
   */
  readonly compose?: string | string[];
  /**
   * Options for `loadApp` when `compose` is given.
   * @default the current directory and environment
   */
  readonly loadOptions?: LoadOptions;
  /**
   * An already loaded app model (takes precedence over `compose`).
   * @default none
   */
  readonly app?: AppModel;
  /**
   * Where a service's (or database's) constructs go. `synthesize` passes per-service stacks here
   * when the app is too large for one.
   * @default this construct, so everything is in one stack
   */
  readonly scopeFor?: (serviceName: string) => Construct;
  /**
   * The environment's profile (dev or prod rules).
   * @default resolveProfile(app): from the app's environment
   */
  readonly profile?: DeployProfile;
  /**
   * Where built services' ECR repositories are created (synth uses a stack deploy creates first,
   * so images can be pushed before the services that run them exist); services refer to them by
   * name.
   * @default each service's own scope
   */
  readonly repositoryScope?: Construct;
  /**
   * A registry host (`registry.example.com:5000`) built images are pulled from instead of ECR:
   * `<host>/<repositoryName>:<tag>`. No ECR repositories are created.
   * @default ECR
   */
  readonly imageRegistry?: string;
}

/** Where deploy pushes a built service's image, and the parameter that carries its tag. */
export interface ImageSlot {
  readonly service: string;
  /** Stack holding the service (and so the parameter). */
  readonly stackName: string;
  readonly parameter: string;
  /** Repository name, in ECR or in `imageRegistry`. */
  readonly repositoryName: string;
}

/**
 * A whole compose app on AWS, built from the model's production intent: network, cluster,
 * registries, an Application Load Balancer for HTTP entries (catch-all to the entry the model
 * chose) and a Network Load Balancer for TCP/UDP entries, one Fargate service per cloud container,
 * managed databases for managed datastores, and security groups wired from the traffic graph so
 * each service admits exactly its allowed callers. Usable in any CDK app:
 *
 * ```ts
 * new ComposeApp(stack, 'App', { compose: 'compose.yaml' });
 * ```
 */
export class ComposeApp extends Construct {
  readonly app: AppModel;
  readonly network: Network;
  readonly cluster: AppCluster;
  /** The ALB, when a service has an HTTP(S) entry. */
  readonly loadBalancer?: PublicLoadBalancer;
  /** The NLB, when a service has a TCP or UDP entry. */
  readonly networkLoadBalancer?: PublicNetworkLoadBalancer;
  readonly services = new Map<string, ComposeService>();
  /** ALB target groups, by service. */
  readonly targetGroups = new Map<string, elbv2.ApplicationTargetGroup>();
  readonly repositories = new Map<string, ServiceRepository>();
  readonly databases = new Map<string, PostgresDatabase>();
  /** Unsafe settings the compose file acknowledged (synth reports them). */
  readonly acknowledgedUnsafe: GateFinding[];
  readonly profile: DeployProfile;
  /** One per built service: where its image goes and which parameter names its tag. */
  readonly imageSlots: ImageSlot[] = [];
  private readonly imageProps: Pick<ComposeAppProps, 'repositoryScope' | 'imageRegistry'>;
  private readonly scopeFor: (serviceName: string) => Construct;

  constructor(scope: Construct, id: string, props: ComposeAppProps) {
    super(scope, id);
    this.app = this.resolveModel(props);
    this.acknowledgedUnsafe = assertCloudReady(this.app);
    this.scopeFor = props.scopeFor ?? this.ownScopes();
    this.profile = props.profile ?? resolveProfile(this.app);
    this.imageProps = { repositoryScope: props.repositoryScope, imageRegistry: props.imageRegistry };
    const runtime = cloudContainers(this.app);
    this.requireRegion(runtime);
    const managed = this.app.services.filter((s) => s.intent.datastore?.cloud === 'managed');
    this.network = new Network(this, 'Network', {
      nat: this.profile.nat,
      logRetentionDays: this.app.x.aws.logRetentionDays,
      isolatedSubnets: managed.length > 0,
    });
    this.cluster = new AppCluster(this, 'Cluster', {
      vpc: this.network.vpc,
      namespaceName: `${this.app.name}.internal`,
      namespaceArn: this.app.x.aws.cloudMapNamespace,
    });
    const entries = runtime.flatMap((s) => s.intent.entryPorts);
    if (entries.some((p) => p.protocol === 'http' || p.protocol === 'https')) {
      this.loadBalancer = new PublicLoadBalancer(this, 'PublicLoadBalancer', {
        vpc: this.network.vpc,
        certificateArn: httpsCertificateArn(this, this.profile),
      });
    }
    if (entries.some((p) => p.protocol === 'tcp' || p.protocol === 'udp')) {
      this.networkLoadBalancer = new PublicNetworkLoadBalancer(this, 'PublicNetworkLoadBalancer', {
        vpc: this.network.vpc,
      });
    }
    for (const s of managed) this.addDatabase(s);
    const composeSecrets = this.createComposeSecrets(runtime);
    for (const s of runtime) this.addService(s, composeSecrets);
    for (const e of this.app.traffic.edges) this.wireEdge(e);
    applyProfile(this, this.profile);
    applyTags(this, this.app);
    if (props.scopeFor) for (const s of this.app.services) applyTags(props.scopeFor(s.name), this.app);
  }

  private resolveModel(props: ComposeAppProps): AppModel {
    if (props.app) return props.app;
    if (props.compose)
      return loadApp(Array.isArray(props.compose) ? props.compose : [props.compose], props.loadOptions);
    throw validationError(
      this,
      'ComposeAppNeedsModel',
      'ComposeApp needs `compose` (file paths) or `app` (a loaded model)',
    );
  }

  /** Default scopes: one child construct per service (service names are construct ids here). */
  private ownScopes(): (name: string) => Construct {
    const own = new Map<string, Construct>();
    return (name) => {
      let where = own.get(name);
      if (!where)
        own.set(name, (where = new Construct(this, RESERVED_IDS.has(name) ? `service-${name}` : name)));
      return where;
    };
  }

  private requireRegion(runtime: ServiceModel[]): void {
    if (Token.isUnresolved(Stack.of(this).region) && runtime.some((s) => s.public)) {
      throw validationError(
        this,
        'ComposeAppNeedsRegion',
        "ComposeApp needs a stack with a region: create the stack with env: { region: 'us-east-1' } (the load balancer's access logs need it); the account may stay unset",
      );
    }
  }

  private addDatabase(s: ServiceModel): void {
    const vpc = this.network.vpc;
    const db = new PostgresDatabase(this.scopeFor(s.name), 'Database', {
      service: s,
      vpc,
      securityGroup: newClosedGroup(
        this,
        `${s.name}SecurityGroup`,
        vpc,
        `${s.name} database: only its callers on 5432`,
      ),
      subnets: this.network.dataSubnets,
      production: this.profile.deletionProtection,
    });
    this.databases.set(s.name, db);
  }

  private addService(s: ServiceModel, composeSecrets: Map<string, secretsmanager.ISecret>): void {
    const where = this.scopeFor(s.name);
    const image = s.intent.cloudImage.kind !== 'registry' ? this.builtImage(s, where) : undefined;
    const extraEnvironment: Record<string, string> = {};
    const extraSecrets: Record<string, ecs.Secret> = {};
    for (const e of this.app.traffic.edges.filter((x) => x.from === s.name)) {
      const conn = this.databases.get(e.to)?.connectionFor();
      if (!conn) continue;
      Object.assign(extraEnvironment, conn.environment);
      Object.assign(extraSecrets, conn.secrets);
    }
    const vpc = this.network.vpc;
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
      repository: image?.repository,
      imageReference: image?.reference,
      imageTag: image?.tag,
      logRetentionDays: this.app.x.aws.logRetentionDays,
      serviceConnectServer: this.app.traffic.edges.some((e) => e.to === s.name && e.from !== INTERNET),
      extraEnvironment,
      extraSecrets,
      composeSecrets,
    });
    this.services.set(s.name, service);
  }

  /**
   * A built (or derived) service's image: an ECR repository (created in `repositoryScope` and
   * referred to by name, or in the service's scope) or a reference into `imageRegistry`, and a
   * tag parameter of its own that deploy fills with the pushed image's content-derived tag.
   */
  private builtImage(
    s: ServiceModel,
    where: Construct,
  ): { repository?: ecr.IRepository; reference?: string; tag: string } {
    const stack = Stack.of(where);
    const taken = new Set(
      this.imageSlots.filter((x) => x.stackName === stack.stackName).map((x) => x.parameter),
    );
    const parameter = imageTagParameterName(s.name, taken);
    const tag = new CfnParameter(stack, parameter, {
      type: 'String',
      description: `Image tag of service ${s.name} (immutable, derived from the image's content; set by shipshape deploy)`,
      allowedPattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
      constraintDescription: 'a Docker image tag',
    }).valueAsString;
    const name = repositoryName(this.app, s.name);
    this.imageSlots.push({ service: s.name, stackName: stack.stackName, parameter, repositoryName: name });
    const registry = this.imageProps.imageRegistry;
    if (registry) return { reference: `${registry.replace(/\/+$/, '')}/${name}:${tag}`, tag };
    const repositoryScope = this.imageProps.repositoryScope;
    const own = new ServiceRepository(
      repositoryScope ?? where,
      repositoryScope ? `Registry-${s.name}` : 'Registry',
      {
        repositoryName: name,
      },
    );
    this.repositories.set(s.name, own);
    const repository = repositoryScope
      ? ecr.Repository.fromRepositoryName(where, 'Registry', name)
      : own.repository;
    return { repository, tag };
  }

  /** One Secrets Manager secret per compose top-level secret that a deployed service uses. */
  private createComposeSecrets(runtime: ServiceModel[]): Map<string, secretsmanager.ISecret> {
    const used = new Set(runtime.flatMap((s) => s.intent.secrets.map((r) => r.name)));
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
   * allowed (caller, callee port). Internet edges become load balancer routes: the ALB admits its
   * listener ports and reaches the service on its entry port; the NLB likewise per TCP/UDP entry.
   */
  private wireEdge(e: TrafficEdge): void {
    const callee = this.services.get(e.to);
    if (e.from === INTERNET) {
      if (callee)
        this.routeEntries(
          this.app.services.find((s) => s.name === e.to)!,
          callee,
        );
      return;
    }
    const caller = this.services.get(e.from);
    if (!caller) return;
    const where = this.scopeFor(e.from);
    const db = this.databases.get(e.to);
    if (db) {
      allowTraffic(
        where,
        `To-${e.to}-${db.port}`,
        caller.securityGroup,
        db.securityGroup,
        db.port,
        'tcp',
        `${e.from} to ${e.to}`,
      );
      return;
    }
    if (!callee) return;
    for (const port of e.ports) {
      allowTraffic(
        where,
        `To-${e.to}-${port}`,
        caller.securityGroup,
        callee.securityGroup,
        port,
        'tcp',
        `${e.from} to ${e.to}`,
      );
    }
  }

  private routeEntries(model: ServiceModel, service: ComposeService): void {
    const where = this.scopeFor(model.name);
    const http = model.intent.entryPorts.find((p) => p.protocol === 'http' || p.protocol === 'https');
    if (http && this.loadBalancer) {
      const targetGroup = this.loadBalancer.addService(
        where,
        model.name,
        service.fargateService.loadBalancerTarget({
          containerName: service.container.containerName,
          containerPort: http.port,
        }),
        {
          port: http.port,
          protocol: http.protocol === 'https' ? 'https' : 'http',
          healthPath: model.x.healthPath,
          catchAll: this.app.intent.catchAll?.service === model.name,
        },
      );
      this.targetGroups.set(model.name, targetGroup);
    }
    for (const p of model.intent.entryPorts.filter((x) => x.protocol === 'tcp' || x.protocol === 'udp')) {
      const protocol = p.protocol as 'tcp' | 'udp';
      this.networkLoadBalancer!.addEntry(where, model.name, service, {
        containerPort: p.port,
        listenerPort: p.published ?? p.port,
        protocol,
      });
    }
  }
}
