import {
  AspectPriority,
  Aspects,
  CfnCondition,
  CfnParameter,
  Fn,
  Stack,
  Token,
  type IAspect,
} from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Validations } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import { INTERNET, type AppModel, type ServiceModel, type TrafficEdge } from '../model/types.js';
import { startOrder } from '../model/graph.js';
import { passedCloudGate, type CloudReadyApp, type GateFinding } from '../model/gate.js';
import { cloudContainers, jobs, managedServices, waitingFor } from '../model/intent/placement.js';
import { AppCluster } from './cluster.js';
import {
  NETWORK_ENGINES,
  NetworkDatastore,
  newManagedDatastore,
  type ManagedDatastore,
} from './datastores/index.js';
import { AppFileSystem } from './file-system.js';
import { PublicLoadBalancer } from './load-balancer.js';
import { Network } from './network.js';
import { existingVpcPlacement } from './existing-vpc.js';
import { PublicNetworkLoadBalancer, type NlbEntry } from './network-load-balancer.js';
import { AppImages, type ImageSlot } from './images.js';
import type { ServiceRepository } from './registry.js';
import { resolveProfile, type DeployProfile } from './profile.js';
import { applyProfile, httpsCertificateArn } from './production.js';
import { allowTraffic, newClosedGroup, newServiceGroup, portRanges } from './security.js';
import { ComposeService } from './service.js';
import { INIT_IMAGE, taskRuntime } from '../runtime/task.js';
import type { SecretSource } from './task-definition.js';
import { applyTags } from './tags.js';
import { validationError } from './errors.js';

const RESERVED_IDS = new Set(['Network', 'Cluster', 'PublicLoadBalancer', 'PublicNetworkLoadBalancer']);

export interface ComposeAppProps {
  /**
   * The app to build, as the cloud gate passed it: `assertCloudReady(loadApp([...]))`. The
   * construct builds what the model decided and judges nothing itself.
   */
  readonly app: CloudReadyApp;
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
   * Where the ECR repositories of the app's images are created (synth uses a stack deploy creates
   * first, so images can be pushed before the services that run them exist); services refer to
   * them by name.
   * @default each service's own scope (helpers: this construct)
   */
  readonly repositoryScope?: Construct;
  /**
   * A registry host (`registry.example.com:5000`) images are pulled from instead of ECR:
   * `<host>/<repositoryName>@<digest>`. No ECR repositories are created.
   * @default ECR
   */
  readonly imageRegistry?: string;
  /**
   * The account the app is deployed to: kept buckets get static names with it, which the next
   * deploy of a destroyed environment adopts.
   * @default the stack's account when it has one, else the AWS::AccountId pseudo parameter
   */
  readonly account?: string;
}

/** The parameter of JobGate. */
export const JOBS_DONE_PARAMETER = 'JobsDone';

/** A stack with services that wait for a job, and its parameter that holds them (see gateJobDependents). */
export interface JobGate {
  readonly stackName: string;
  readonly parameter: string;
}

export type { ImageSlot } from './images.js';

/**
 * A whole compose app on AWS, built from the model's production intent: network, cluster,
 * registries, an Application Load Balancer for HTTP entries (catch-all to the entry the model
 * chose) and a Network Load Balancer for TCP/UDP entries, one Fargate service per cloud container,
 * managed databases for managed datastores, and security groups wired from the traffic graph so
 * each service admits exactly its allowed callers. Usable in any CDK app:
 *
 * ```ts
 * new ComposeApp(stack, 'App', { app: assertCloudReady(loadApp(['compose.yaml'])) });
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
  /** ECR repositories created, by repository name. */
  readonly repositories: Map<string, ServiceRepository>;
  /** Managed services that replace compose datastores (RDS, ElastiCache, DocumentDB, DynamoDB, S3), by service name. */
  readonly datastores = new Map<string, ManagedDatastore>();
  /** Amazon EFS for the app's persistent volumes, when a service has one. */
  readonly fileSystem?: AppFileSystem;
  /** Unsafe settings the compose file acknowledged (synth reports them). */
  readonly acknowledgedUnsafe: readonly GateFinding[];
  readonly profile: DeployProfile;
  /** One per image and stack: where deploy pushes it and which parameter carries its digest. */
  readonly imageSlots: ImageSlot[];
  private readonly images: AppImages;
  private readonly account?: string;
  /** The parameters that hold the services waiting for a job at zero tasks until it ran (deploy sets them). */
  readonly jobGates: JobGate[] = [];
  private readonly scopeFor: (serviceName: string) => Construct;

  constructor(scope: Construct, id: string, props: ComposeAppProps) {
    super(scope, id);
    if (!passedCloudGate(props.app))
      throw validationError(
        this,
        'ComposeAppNeedsGate',
        'ComposeApp builds an app the cloud gate passed: `{ app: assertCloudReady(loadApp([...])) }`',
      );
    this.app = props.app.model;
    this.acknowledgedUnsafe = props.app.acknowledgedUnsafe;
    this.scopeFor = props.scopeFor ?? this.ownScopes();
    this.account = props.account ?? this.app.x.aws.account;
    this.profile = props.profile ?? resolveProfile(this.app);
    this.images = new AppImages(this, {
      app: this.app,
      repositoryScope: props.repositoryScope,
      registry: props.imageRegistry,
    });
    this.imageSlots = this.images.slots;
    this.repositories = this.images.repositories;
    const runtime = cloudContainers(this.app);
    this.requireRegion(runtime);
    const managed = managedServices(this.app);
    this.network = new Network(this, 'Network', {
      nat: this.profile.nat,
      logRetentionDays: this.app.x.aws.logRetentionDays,
      isolatedSubnets: managed.some((s) => NETWORK_ENGINES.has(s.intent.datastore!.engine!)),
      dynamoDbEndpoint: managed.some((s) => s.intent.datastore!.engine === 'dynamodb'),
      existing: existingVpcPlacement(this.app, runtime, managed),
    });
    this.cluster = new AppCluster(this, 'Cluster', {
      vpc: this.network.vpc,
      // One namespace per environment: HTTP namespace names are unique in an account and region.
      namespaceName: `${this.app.x.environment}.${this.app.name}.internal`,
      namespaceArn: this.app.x.aws.cloudMapNamespace,
    });
    const entries = runtime.flatMap((s) => s.intent.entryPorts);
    if (entries.some((p) => p.balancer === 'application')) {
      this.loadBalancer = new PublicLoadBalancer(this, 'PublicLoadBalancer', {
        vpc: this.network.vpc,
        certificateArn: httpsCertificateArn(this, this.profile),
      });
    }
    if (entries.some((p) => p.balancer === 'network')) {
      this.networkLoadBalancer = new PublicNetworkLoadBalancer(this, 'PublicNetworkLoadBalancer', {
        vpc: this.network.vpc,
      });
    }
    for (const s of managed) this.addDatastore(s);
    if (runtime.some((s) => s.intent.mounts.some((m) => m.cloud === 'volume'))) {
      this.fileSystem = new AppFileSystem(this, 'Volumes', {
        vpc: this.network.vpc,
        subnets: this.network.taskSubnets,
        securityGroup: newClosedGroup(
          this,
          'VolumesSecurityGroup',
          this.network.vpc,
          'persistent volumes: NFS from the services that mount them',
        ),
        production: this.production,
      });
    }
    const composeSecrets = this.createComposeSecrets(runtime);
    for (const s of runtime) this.addService(s, composeSecrets);
    for (const e of this.app.traffic.edges) this.wireEdge(e);
    this.orderCallersAfterCallees();
    this.applyProfileRules();
    this.gateJobDependents();
    applyTags(this, this.app);
    if (props.scopeFor) for (const s of this.app.services) applyTags(props.scopeFor(s.name), this.app);
  }

  /** The profile's rules (production.ts), on what was built. */
  private applyProfileRules(): void {
    applyProfile(
      {
        scope: this,
        loadBalancer: this.loadBalancer,
        networkLoadBalancer: this.networkLoadBalancer,
        services: this.services,
        entryServices: this.app.services.filter((m) => m.intent.entryPorts.length > 0).map((m) => m.name),
        targetGroups: this.targetGroups,
        logRoots: [...this.services.values(), ...this.datastores.values()],
      },
      this.profile,
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

  /** Production settings (Multi-AZ, deletion protection, retention): the prod profile's (profile.ts). */
  get production(): boolean {
    return this.profile.deletionProtection;
  }

  private addDatastore(s: ServiceModel): void {
    const vpc = this.network.vpc;
    const engine = s.intent.datastore!.engine!;
    const store = newManagedDatastore(this.scopeFor(s.name), 'Datastore', {
      service: s,
      production: this.production,
      app: this.app.name,
      environment: this.app.x.environment,
      account: this.account,
      logRetentionDays: this.app.x.aws.logRetentionDays,
      network: NETWORK_ENGINES.has(engine)
        ? {
            vpc,
            securityGroup: newClosedGroup(
              this,
              `${s.name}SecurityGroup`,
              vpc,
              `${s.name} (${s.intent.datastore!.managedBy}): only its callers, on its port`,
            ),
            subnets: this.network.dataSubnets,
          }
        : undefined,
    });
    this.datastores.set(s.name, store);
  }

  /**
   * The caller's cloud variables for the managed datastores it reaches: each connection's
   * conventional variables and its own variables the model rewrote, resolved to endpoint tokens
   * and ECS secrets; `omit` lists the compose variables not set as written.
   */
  private connectionEnvironment(s: ServiceModel): {
    environment: Record<string, string>;
    secrets: Record<string, ecs.Secret>;
    omit: string[];
  } {
    const environment: Record<string, string> = {};
    const secrets: Record<string, ecs.Secret> = {};
    const set = (
      name: string,
      store: ManagedDatastore | undefined,
      value: Parameters<ManagedDatastore['resolve']>[0],
    ) => {
      if (!store) return;
      const r = store.resolve(value);
      if ('secret' in r) secrets[name] = r.secret;
      else environment[name] = r.text;
    };
    for (const c of s.intent.connections) {
      for (const v of c.variables) set(v.name, this.datastores.get(c.datastore), v.value);
    }
    const omit: string[] = [];
    for (const e of s.intent.environment) {
      if (e.handling === 'dropped') omit.push(e.name);
      if (e.handling === 'datastore' && e.datastore && e.cloud) {
        omit.push(e.name);
        set(e.name, this.datastores.get(e.datastore), e.cloud);
      }
    }
    return { environment, secrets, omit };
  }

  /** Task role permissions on DynamoDB tables and S3 buckets, and the service's persistent volumes. */
  private attachDatastoresAndVolumes(s: ServiceModel, service: ComposeService): void {
    const role = service.taskDefinition.taskRole;
    for (const c of s.intent.connections) this.datastores.get(c.datastore)?.grantTo(role, c.actions);
    // The datastores whose password the service gets, as a variable or as a compose secret file.
    const withSecrets = new Set([
      ...s.intent.connections.map((c) => c.datastore),
      ...s.intent.secrets.flatMap((d) => (d.datastore ? [d.datastore] : [])),
    ]);
    for (const name of withSecrets)
      this.datastores.get(name)?.grantSecretKey(service.taskDefinition.obtainExecutionRole());
    const fs = this.fileSystem;
    if (!fs) return;
    const mounts = s.intent.mounts.filter((m) => m.cloud === 'volume');
    for (const m of mounts) {
      const volume = fs.volume(m.source ?? m.target, m.owner ?? { uid: 1000, gid: 1000 });
      service.addPersistentVolume(
        m.target,
        fs.fileSystem.fileSystemId,
        volume.accessPoint.accessPointId,
        m.readOnly,
      );
      fs.grantMount(role, volume, m.readOnly);
    }
    if (mounts.length > 0) {
      // A task whose mount target does not exist yet fails to start (ResourceInitializationError).
      service.fargateService?.node.addDependency(fs.fileSystem.mountTargetsAvailable);
      allowTraffic(
        this.scopeFor(s.name),
        'To-volumes-2049',
        service.securityGroup,
        fs.securityGroup,
        2049,
        'tcp',
        `${s.name} to its persistent volumes (NFS)`,
      );
    }
  }

  private addService(s: ServiceModel, composeSecrets: Map<string, SecretSource>): void {
    const where = this.scopeFor(s.name);
    const connection = this.connectionEnvironment(s);
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
      containerImage: this.images.forService(s, where),
      initImage: taskRuntime(s).containers.some((c) => c.role === 'init')
        ? this.images.forHelper('shipshape-init', INIT_IMAGE, where)
        : undefined,
      logRetentionDays: this.app.x.aws.logRetentionDays,
      serviceConnectServer: this.app.traffic.edges.some((e) => e.to === s.name && e.from !== INTERNET),
      extraEnvironment: connection.environment,
      extraSecrets: connection.secrets,
      omitEnvironment: connection.omit,
      composeSecrets,
      waitedOnBy: waitingFor(this.app, s.name),
    });
    this.services.set(s.name, service);
    this.attachDatastoresAndVolumes(s, service);
  }

  /**
   * One Secrets Manager secret per compose top-level secret that a deployed service uses; a secret
   * that is a managed datastore's password is that datastore's generated password instead.
   */
  private createComposeSecrets(runtime: ServiceModel[]): Map<string, SecretSource> {
    const out = new Map<string, SecretSource>();
    const used = new Set<string>();
    for (const d of runtime.flatMap((s) => s.intent.secrets)) {
      const store = d.datastore ? this.datastores.get(d.datastore) : undefined;
      const secret = store instanceof NetworkDatastore ? store.callerSecret() : undefined;
      if (secret) out.set(d.name, { secret, field: 'password' });
      else used.add(d.name);
    }
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
      out.set(name, { secret });
    }
    return out;
  }

  /**
   * A service that waits for a job (`service_completed_successfully`) runs no task until the job
   * has completed: on a first deploy, deploy creates the stacks with `JobsDone=no` (the service's
   * desired count 0), runs the job, then sets `JobsDone=yes` (docs/deploy.md). The default is yes,
   * so a stack deployed by other means runs as compose declares it.
   */
  private gateJobDependents(): void {
    const gates = new Map<Stack, CfnCondition>();
    // A service that waits for several jobs is held once.
    const waiting = new Set(jobs(this.app).flatMap((job) => waitingFor(this.app, job.name)));
    for (const name of waiting) {
      // On the ComposeService, as the profile's minimum count is: aspects of one construct run
      // in the order they were added, whatever the app's aspect feature flags.
      const service = this.services.get(name);
      if (!service?.fargateService) continue;
      const stack = Stack.of(service);
      let done = gates.get(stack);
      if (!done) {
        const parameter = new CfnParameter(stack, JOBS_DONE_PARAMETER, {
          type: 'String',
          allowedValues: ['yes', 'no'],
          default: 'yes',
          description: 'no: the services that wait for a job run no task yet (set by shipshape deploy)',
        });
        done = new CfnCondition(stack, 'JobsDoneCondition', {
          expression: Fn.conditionEquals(parameter.valueAsString, 'yes'),
        });
        gates.set(stack, done);
        this.jobGates.push({ stackName: stack.stackName, parameter: JOBS_DONE_PARAMETER });
      }
      Aspects.of(service).add(new HeldUntil(done), { priority: AspectPriority.DEFAULT });
    }
  }

  /**
   * Each caller's ECS service is created after its callees' (also across split stacks): a task
   * that starts before its callee's Service Connect endpoint exists cannot resolve it until it is
   * redeployed, while its own health check stays green (the ECS Service Connect guide says to add
   * the dependency). Calls that agree with compose's start order come first; a call back that
   * would close a cycle (mutual callers) is left out.
   */
  private orderCallersAfterCallees(): void {
    const order = startOrder(this.app.services);
    const rank = (name: string) => order.indexOf(name);
    const calls = this.app.traffic.edges
      .filter((e) => e.from !== INTERNET && e.from !== e.to)
      .filter((e) => this.services.get(e.from)?.fargateService && this.services.get(e.to)?.fargateService)
      .sort((a, b) => Number(rank(a.to) > rank(a.from)) - Number(rank(b.to) > rank(b.from)));
    const after = new Map<string, Set<string>>();
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean =>
      from === to ||
      [...(after.get(from) ?? [])].some((n) => !seen.has(n) && (seen.add(n), reaches(n, to, seen)));
    for (const e of calls) {
      if (after.get(e.from)?.has(e.to) || reaches(e.to, e.from)) continue;
      after.set(e.from, (after.get(e.from) ?? new Set()).add(e.to));
      this.services.get(e.from)!.fargateService!.node.addDependency(this.services.get(e.to)!.fargateService!);
    }
  }

  /**
   * Security group rules from the traffic graph: exactly one ingress rule (and its egress twin) per
   * allowed (caller, callee port). Internet edges become load balancer routes: the ALB admits its
   * listener ports and reaches the service on its entry port; the NLB likewise per TCP/UDP entry.
   */
  private wireEdge(e: TrafficEdge): void {
    const callee = this.services.get(e.to);
    if (e.from === INTERNET) {
      // A job serves nothing: the model makes no entry of it, and it has no ECS service to route to.
      if (callee?.fargateService)
        this.routeEntries(
          this.app.services.find((s) => s.name === e.to)!,
          callee,
        );
      return;
    }
    const caller = this.services.get(e.from);
    if (!caller) return;
    const where = this.scopeFor(e.from);
    const store = this.datastores.get(e.to);
    if (store) {
      // DynamoDB and S3 are reached over HTTPS with the task role (no group to open).
      if (store instanceof NetworkDatastore)
        allowTraffic(
          where,
          `To-${e.to}-${store.port}`,
          caller.securityGroup,
          store.securityGroup,
          store.port,
          'tcp',
          `${e.from} to ${e.to}`,
        );
      return;
    }
    if (!callee) return;
    // One rule per contiguous range of ports (an exposed range is one rule).
    for (const range of portRanges(e.ports)) {
      const ports = range.from === range.to ? `${range.from}` : `${range.from}-${range.to}`;
      allowTraffic(
        where,
        `To-${e.to}-${ports}${e.protocol === 'udp' ? '-udp' : ''}`,
        caller.securityGroup,
        callee.securityGroup,
        range,
        e.protocol,
        `${e.from} to ${e.to}`,
      );
    }
  }

  /**
   * Every entry the model decided, none dropped: the service's first HTTP(S) entry on the main
   * listener (catch-all or host header), each further HTTP(S) entry on a listener of its own
   * (its published port, `entry.listener`), each TCP/UDP entry on the network load balancer.
   */
  private routeEntries(model: ServiceModel, service: ComposeService): void {
    const where = this.scopeFor(model.name);
    const target = (port: number) =>
      service.fargateService!.loadBalancerTarget({
        containerName: service.container.containerName,
        containerPort: port,
      });
    for (const http of model.intent.entryPorts.filter((p) => p.balancer === 'application')) {
      if (!this.loadBalancer) break;
      const route = {
        port: http.port,
        protocol: http.protocol === 'https' ? ('https' as const) : ('http' as const),
        healthPath: model.x.healthPath,
        catchAll: this.app.intent.catchAll?.service === model.name,
      };
      if (http.listener === undefined) {
        if (Stack.of(where) !== Stack.of(this)) keepListenerExport(this.loadBalancer);
        this.targetGroups.set(
          model.name,
          this.loadBalancer.addService(where, model.name, target(http.port), route),
        );
      } else {
        this.loadBalancer.addPortListener(where, target(http.port), {
          ...route,
          listenerPort: http.listener,
        });
      }
    }
    for (const entry of networkEntries(model))
      this.networkLoadBalancer!.addEntry(where, model.name, service, entry);
  }
}

/**
 * The service's TCP and UDP entries as NLB listeners: a TCP and a UDP entry on the same listener
 * and container port (DNS on 53) are one `tcp_udp` listener, as an NLB allows one listener per port.
 */
export function networkEntries(model: ServiceModel): NlbEntry[] {
  const byPort = new Map<string, NlbEntry>();
  for (const p of model.intent.entryPorts.filter((x) => x.balancer === 'network')) {
    const listenerPort = p.listener ?? p.published ?? p.port;
    const key = `${listenerPort}:${p.port}`;
    const other = byPort.get(key);
    const protocol = p.protocol as 'tcp' | 'udp';
    byPort.set(key, {
      containerPort: p.port,
      listenerPort,
      protocol: other && other.protocol !== protocol ? 'tcp_udp' : protocol,
    });
  }
  return [...byPort.values()];
}

/**
 * With stacks split per service, the service stacks' listener rules import the listener they
 * attach to from the shared stack. The port-80 listener's export is kept even when no rule imports
 * it (a certificate moves the rules to the HTTPS listener): the shared stack is updated before the
 * service stacks, and CloudFormation refuses to remove an export another stack still imports.
 */
function keepListenerExport(lb: PublicLoadBalancer): void {
  if (exported.has(lb)) return;
  exported.add(lb);
  Stack.of(lb).exportValue(lb.httpListener.listenerArn);
}
const exported = new WeakSet<PublicLoadBalancer>();

/**
 * A service that waits for a job runs no task until the job ran: its desired count is 0 while the
 * stack's JobsDone condition is false (deploy flips it once the jobs exited 0). An Aspect, after
 * the profile's minimum count, so it holds whatever count was decided.
 */
class HeldUntil implements IAspect {
  constructor(private readonly done: CfnCondition) {}

  visit(node: IConstruct): void {
    if (!(node instanceof ecs.CfnService)) return;
    node.desiredCount = Fn.conditionIf(this.done.logicalId, node.desiredCount ?? 1, 0) as unknown as number;
  }
}
