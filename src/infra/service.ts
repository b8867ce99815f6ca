import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { Construct } from 'constructs';
import { runsAsRoot } from '../model/intent/index.js';
import type { HealthCheck, ServiceModel } from '../model/types.js';
import { fargateSize, type FargateSize } from './fargate.js';
import { addSecretFiles, type SecretSource } from './secret-files.js';

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
   * Repository of a built service; the image is `<repository>:<imageTag>`.
   * @default `service.image`
   */
  readonly repository?: ecr.IRepository;
  /**
   * Tag of the built image (a CloudFormation parameter deploy fills with the pushed image's tag).
   * @default 'latest'
   */
  readonly imageTag?: string;
  /**
   * Full reference of a built image in a registry other than ECR (deploy --registry).
   * @default none
   */
  readonly imageReference?: string;
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
}

/**
 * The user the task definition states: the model's decided user when it is not root (so the
 * account the container runs as is visible in the template); nothing when it runs as root, which
 * the cloud gate only lets through when acknowledged.
 */
export function taskUser(s: ServiceModel): string | undefined {
  return runsAsRoot(s.intent.user) ? undefined : s.intent.user.user;
}

/** ECS names (service, container, port mapping) allow only letters, digits, `_` and `-`. */
export function ecsName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 255);
}

/**
 * ECS health checks accept narrower ranges than compose (interval 5–300 s, timeout 2–60 s and
 * shorter than the interval, retries 1–10, start period 0–300 s); clamp into them.
 */
export function ecsHealthCheck(hc: HealthCheck | undefined): ecs.HealthCheck | undefined {
  if (!hc || hc.disabled || hc.test.length === 0 || hc.test[0] === 'NONE') return undefined;
  const seconds = (ms: number, min: number, max: number) =>
    Math.min(max, Math.max(min, Math.round(ms / 1000)));
  const interval = seconds(hc.intervalMs, 5, 300);
  const timeout = Math.min(seconds(hc.timeoutMs, 2, 60), interval - 1);
  return {
    command: hc.test,
    interval: Duration.seconds(interval),
    timeout: Duration.seconds(timeout),
    retries: Math.min(10, Math.max(1, hc.retries)),
    startPeriod: Duration.seconds(seconds(hc.startPeriodMs, 0, 300)),
  };
}

/**
 * ECS port mapping (and Cloud Map discovery) names allow only lowercase letters, digits, `_` and
 * `-`, while compose service names may have capitals and dots.
 */
export function portName(service: string, port: number): string {
  return `${service.toLowerCase().replace(/[^a-z0-9_-]/g, '-')}-${port}`.slice(-64);
}

/**
 * One TCP mapping per listening port (named for Service Connect), except ports that are only UDP
 * entries, plus one UDP mapping per UDP entry (`53/udp` and `53/tcp` are two mappings).
 */
export function containerPortMappings(s: ServiceModel): ecs.PortMapping[] {
  const udp = new Set([
    ...s.intent.entryPorts.filter((p) => p.protocol === 'udp').map((p) => p.port),
    ...s.udpPorts.filter((p) => s.intent.listenPorts.includes(p)),
  ]);
  const tcpEntry = new Set(s.intent.entryPorts.filter((p) => p.protocol !== 'udp').map((p) => p.port));
  const tcp = s.intent.listenPorts.filter((port) => !udp.has(port) || tcpEntry.has(port));
  return [
    ...tcp.map((port) => ({ containerPort: port, name: portName(s.name, port), protocol: ecs.Protocol.TCP })),
    ...[...udp].map((port) => ({
      containerPort: port,
      name: `${portName(s.name, port)}-udp`.slice(-64),
      protocol: ecs.Protocol.UDP,
    })),
  ];
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
  readonly fargateService: ecs.FargateService;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly size: FargateSize;
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
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: this.size.cpu,
      memoryLimitMiB: this.size.memoryMiB,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
      },
    });
    this.container = this.addAppContainer(props, logGroup);
    if (s.intent.secrets.length > 0) {
      addSecretFiles(this, this.taskDefinition, this.container, {
        service: s,
        user: taskUser(s),
        secrets: props.composeSecrets ?? new Map(),
        logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: `${s.name}-secrets` }),
      });
    }
    this.addScratchVolumes(s);
    this.securityGroup = props.securityGroup;
    this.fargateService = this.createService(props);
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

  /** The app's container, named and configured as in compose (image, user, command, health check). */
  private addAppContainer(props: ComposeServiceProps, logGroup: logs.ILogGroup): ecs.ContainerDefinition {
    const s = props.service;
    const { environment, secrets } = this.containerEnvironment(props);
    const image =
      props.repository !== undefined
        ? ecs.ContainerImage.fromEcrRepository(props.repository, props.imageTag ?? 'latest')
        : ecs.ContainerImage.fromRegistry(props.imageReference ?? s.image ?? s.name);
    const container = this.taskDefinition.addContainer(ecsName(s.name), {
      image,
      containerName: ecsName(s.name),
      essential: true,
      user: taskUser(s),
      command: s.command,
      entryPoint: s.entrypoint,
      workingDirectory: s.workingDir,
      readonlyRootFilesystem: s.readOnly !== false,
      environment,
      secrets,
      healthCheck: ecsHealthCheck(s.healthcheck),
      stopTimeout: Duration.seconds(30),
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: s.name }),
      portMappings: containerPortMappings(s),
    });
    if (props.repository) {
      // Pulling from ECR needs ecr:GetAuthorizationToken, which has no resource-level permissions.
      Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'ecr:GetAuthorizationToken only accepts Resource "*"; image pulls themselves are scoped to this service\'s repository.',
      });
    }
    if (Object.keys(environment).length > 0) {
      Validations.of(this.taskDefinition).acknowledge({
        id: 'AwsSolutions-ECS2',
        reason:
          'Only non-sensitive variables are set directly; every credential-looking variable and compose secret is a Secrets Manager reference.',
      });
    }
    return container;
  }

  /**
   * Writable scratch space on a read-only root: tmpfs mounts and anonymous volumes become
   * task-local ephemeral storage (Fargate has no tmpfs); persistent volumes are EFS
   * (`addPersistentVolume`).
   */
  private addScratchVolumes(s: ServiceModel): void {
    const scratch = new Set<string>(
      s.intent.mounts.filter((m) => m.cloud === 'scratch').map((m) => m.target),
    );
    let i = 0;
    for (const path of scratch) {
      const name = `scratch${i++}`;
      this.taskDefinition.addVolume({ name });
      this.container.addMountPoints({ containerPath: path, sourceVolume: name, readOnly: false });
    }
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
