import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import type { ServiceModel } from '../model/types.js';
import { ecsName, portName, taskRuntime, type TaskRuntime } from '../runtime/task.js';
import { fargateSize, type FargateSize } from './fargate.js';
import { renderTaskDefinition, type SecretSource } from './task-definition.js';

export { ecsName, portName } from '../runtime/task.js';

/** The task definition metadata key that marks a job and says where deploy runs it. */
export const JOB_METADATA = 'shipshape:job';

/** What a job's task definition carries under `JOB_METADATA` (resolved by CloudFormation's template). */
export interface JobMetadata {
  readonly service: string;
  readonly cluster: string;
  readonly subnets: string[];
  readonly securityGroups: string[];
  /** The services that wait for it (`service_completed_successfully`). */
  readonly waitedOnBy: string[];
}
export { ecsHealthCheck } from './task-definition.js';

export interface ComposeServiceProps {
  readonly service: ServiceModel;
  readonly cluster: ecs.ICluster;
  /** The service's security group (created empty by the caller; see security.ts). */
  readonly securityGroup: ec2.SecurityGroup;
  /** Service Connect namespace. */
  readonly namespace: servicediscovery.INamespace;
  /** Subnets the tasks run in (private). */
  readonly subnets: ec2.SubnetSelection;
  /**
   * The app container's image, as the caller resolved it (ComposeApp: the app's own registry,
   * pinned by digest, see images.ts).
   * @default `service.image` from its registry
   */
  readonly containerImage?: ecs.ContainerImage;
  /**
   * The image of the task's init container (src/runtime/task.ts), in the app's registry.
   * @default INIT_IMAGE from its public registry
   */
  readonly initImage?: ecs.ContainerImage;
  /**
   * Log retention in days.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Offer the service to callers through Service Connect (private services with callers).
   * @default false
   */
  readonly serviceConnectServer?: boolean;
  /**
   * Plain variables added to the container (e.g. database host).
   * @default none
   */
  readonly extraEnvironment?: Record<string, string>;
  /**
   * Secret variables added to the container (e.g. database password).
   * @default none
   */
  readonly extraSecrets?: Record<string, ecs.Secret>;
  /**
   * Compose variables not set in the cloud (replaced by `extra*`, or dropped by the model).
   * @default none
   */
  readonly omitEnvironment?: readonly string[];
  /**
   * Secrets for compose `secrets:` (a Secrets Manager secret, or one JSON key of it), by top-level secret name.
   * @default none
   */
  readonly composeSecrets?: Map<string, SecretSource>;
  /**
   * For a job: the services that wait for it to complete.
   * @default none
   */
  readonly waitedOnBy?: readonly string[];
}

/**
 * One compose service on Fargate: its log group, task definition (size rounded up to a valid
 * Fargate pair, read-only root filesystem unless compose says `read_only: false`, the compose
 * user and health check, secrets from Secrets Manager), its own security group with no rules
 * (the traffic graph adds exactly the allowed ones), and the ECS service with a deployment circuit
 * breaker that rolls back and, from `x-shipshape.scaling`, CPU target tracking.
 */
export class ComposeService extends Construct {
  readonly securityGroup: ec2.SecurityGroup;
  /** The ECS service; none for a job (a one-off task that deploy runs, see `JOB_METADATA`). */
  readonly fargateService?: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly size: FargateSize;
  /** How the task's containers run (src/runtime/task.ts), which the task definition renders. */
  readonly runtime: TaskRuntime;
  /** Secrets created for sensitive-looking environment variables, by variable name. */
  readonly environmentSecrets = new Map<string, secretsmanager.Secret>();

  constructor(scope: Construct, id: string, props: ComposeServiceProps) {
    super(scope, id);
    const s = props.service;
    this.size = fargateSize(s.resources.limits.cpus, s.resources.limits.memoryBytes);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetentionDays ?? 30,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.runtime = taskRuntime(s);
    const { environment, secrets } = this.containerEnvironment(props);
    const rendered = renderTaskDefinition(this, 'Task', {
      runtime: this.runtime,
      size: this.size,
      appImage: this.appImage(props),
      environment,
      secrets,
      secretSources: props.composeSecrets ?? new Map(),
      logging: (streamPrefix) => ecs.LogDrivers.awsLogs({ logGroup, streamPrefix }),
      helperImage: (reference) => props.initImage ?? ecs.ContainerImage.fromRegistry(reference),
      cpuArchitecture:
        s.intent.platform.architecture === 'arm64' ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
    });
    this.taskDefinition = rendered.taskDefinition;
    this.container = rendered.container;
    this.securityGroup = props.securityGroup;
    if (this.runtime.kind === 'service') this.fargateService = this.createService(props);
    else this.describeJob(props);
  }

  /**
   * A job has no ECS service: deploy runs its task definition once (RunTask) in the network a
   * service would have. The template says which, on the task definition, so deploy and the
   * day-2 verbs find it from what CloudFormation applied.
   */
  private describeJob(props: ComposeServiceProps): void {
    const task = this.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
    const job: JobMetadata = {
      service: props.service.name,
      cluster: props.cluster.clusterName,
      subnets: props.cluster.vpc.selectSubnets(props.subnets).subnetIds,
      securityGroups: [this.securityGroup.securityGroupId],
      waitedOnBy: [...(props.waitedOnBy ?? [])],
    };
    task.addMetadata(JOB_METADATA, job);
  }

  /**
   * The container's variables and secrets: compose variables minus the sensitive ones (each
   * becomes a Secrets Manager secret) and those the caller replaces, plus the caller's extras.
   */
  private containerEnvironment(props: ComposeServiceProps): {
    environment: Record<string, string>;
    secrets: Record<string, ecs.Secret>;
  } {
    const s = props.service;
    const sensitive = s.intent.environment.filter((e) => e.handling === 'secret').map((e) => e.name);
    const omit = new Set([...sensitive, ...(props.omitEnvironment ?? [])]);
    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.environment)) if (!omit.has(k)) environment[k] = v;
    Object.assign(environment, props.extraEnvironment);
    const secrets: Record<string, ecs.Secret> = { ...props.extraSecrets };
    for (const name of sensitive.filter((n) => !(n in secrets))) {
      // The compose value is never copied: the stack creates the secret with a random value and
      // the operator puts the real one in Secrets Manager.
      const secret = new secretsmanager.Secret(this, `Env${name}`, {
        description: `${s.name}: value of ${name} (set it with put-secret-value)`,
        generateSecretString: { excludePunctuation: true, passwordLength: 32 },
      });
      this.acknowledgeNoRotation(secret);
      this.environmentSecrets.set(name, secret);
      secrets[name] = ecs.Secret.fromSecretsManager(secret);
    }
    return { environment, secrets };
  }

  /** The service's own image: its ECR repository, another registry, or its compose `image:` (pinned by the lock). */
  private appImage(props: ComposeServiceProps): ecs.ContainerImage {
    const s = props.service;
    // The app's registry by digest (deploy pushes every image there, see images.ts); without it
    // (the ComposeApp construct in someone's own stack), the image as the lock pins it.
    return (
      props.containerImage ?? ecs.ContainerImage.fromRegistry(s.intent.cloudImage.pinned ?? s.image ?? s.name)
    );
  }

  /** The ECS service: private subnets, rolling back on failure, offered through Service Connect; scaling from x-shipshape. */
  private createService(props: ComposeServiceProps): ecs.FargateService {
    const s = props.service;
    const scaling = s.x.scaling;
    // Service Connect carries TCP only: a UDP-only port is reached by its security group rule alone.
    const connectPorts = props.serviceConnectServer
      ? s.intent.listenPorts.filter((p) => !s.udpPorts.includes(p))
      : [];
    const service = new ecs.FargateService(this, 'Service', {
      serviceName: ecsName(s.name),
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: scaling ? scaling.min : s.replicas,
      securityGroups: [this.securityGroup],
      vpcSubnets: props.subnets,
      assignPublicIp: false,
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      serviceConnectConfiguration: {
        namespace: props.namespace.namespaceArn,
        services:
          connectPorts.length > 0
            ? connectPorts.map((port) => ({
                portMappingName: portName(s.name, port),
                discoveryName: portName(s.name, port),
                dnsName: s.name,
                port,
              }))
            : undefined,
      },
    });
    // The other names callers use (container_name, aliases, links): client aliases too, which
    // CDK's ServiceConnectService (one dnsName) cannot say.
    if (s.intent.callerNames.length > 0)
      connectPorts.forEach((port, i) =>
        (service.node.defaultChild as ecs.CfnService).addPropertyOverride(
          `ServiceConnectConfiguration.Services.${i}.ClientAliases`,
          [s.name, ...s.intent.callerNames].map((dnsName) => ({ Port: port, DnsName: dnsName })),
        ),
      );
    if (scaling) {
      const target = service.autoScaleTaskCount({ minCapacity: scaling.min, maxCapacity: scaling.max });
      target.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: scaling.targetCpuPercent });
    }
    return service;
  }

  /** Mount an EFS access point at `path` (TLS and IAM authorization on; the task role needs the grant). */
  addPersistentVolume(path: string, fileSystemId: string, accessPointId: string, readOnly: boolean): void {
    const name = `volume${this.persistentVolumes++}`;
    this.taskDefinition.addVolume({
      name,
      efsVolumeConfiguration: {
        fileSystemId,
        transitEncryption: 'ENABLED',
        authorizationConfig: { accessPointId, iam: 'ENABLED' },
      },
    });
    this.container.addMountPoints({ containerPath: path, sourceVolume: name, readOnly });
  }

  private persistentVolumes = 0;

  private acknowledgeNoRotation(secret: secretsmanager.Secret): void {
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Application secrets hold values the operator supplies (API keys, passwords of outside systems); rotating them needs an app-specific rotation function.',
    });
  }
}
