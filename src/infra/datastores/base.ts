import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type {
  ConnectionField,
  ConnectionValue,
  DatastoreIntent,
  ManagedEngine,
  ServiceModel,
} from '../../model/types.js';

/**
 * What stack deletion does to a database in a VPC (RDS, DocumentDB), in every profile: a final
 * snapshot, then the database is deleted. A database kept running (Retain) would keep its network
 * interfaces in the VPC's subnets and its security group, so the VPC, its subnets and the groups
 * could not be deleted either (DELETE_FAILED), and the next deploy's new VPC could not reach it
 * anyway. The snapshot (encrypted like the database) is what is kept; `destroy` says so and turns
 * deletion protection off, after the user confirms, so CloudFormation may delete the instance.
 */
export const KEPT_DATABASES = RemovalPolicy.SNAPSHOT;

export interface ManagedDatastoreProps {
  /** The compose service the managed service replaces (its `intent.datastore` says which and how). */
  readonly service: ServiceModel;
  /**
   * Production settings: Multi-AZ or replicas, deletion protection, longer backups, retained on
   * stack deletion.
   * @default false
   */
  readonly production?: boolean;
}

export interface NetworkDatastoreProps extends ManagedDatastoreProps {
  readonly vpc: ec2.IVpc;
  /** The datastore's security group, created empty by the caller; callers are admitted one by one. */
  readonly securityGroup: ec2.SecurityGroup;
  /** Isolated subnets (no route to the internet). */
  readonly subnets: ec2.SubnetSelection;
}

/** What one connection value becomes in a task definition: plain text, or an ECS secret. */
export type ResolvedValue = { text: string } | { secret: ecs.Secret };

/**
 * A datastore of the compose app as the managed AWS service the model chose. Holds what every
 * engine shares: the model's decision, the production profile and its removal policy, and how a
 * caller's connection values (`['rediss://', {field: 'host'}, ':6379']`) resolve to variables and
 * ECS secrets. Variants add the resources and the fields they know.
 */
export abstract class ManagedDatastore extends Construct {
  readonly service: ServiceModel;
  readonly datastore: DatastoreIntent & { engine: ManagedEngine };
  readonly production: boolean;
  private key?: kms.Key;

  constructor(scope: Construct, id: string, props: ManagedDatastoreProps) {
    super(scope, id);
    const d = props.service.intent.datastore;
    if (props.service.intent.placement !== 'managed' || !d?.engine)
      throw new Error(`internal: ${props.service.name} is not a managed datastore`);
    this.service = props.service;
    this.datastore = d as DatastoreIntent & { engine: ManagedEngine };
    this.production = props.production ?? false;
  }

  /**
   * Production: this datastore's own customer managed KMS key (rotated yearly, retained) for its
   * secrets and data, so access to them is also governed by a key policy and logged per key.
   * Otherwise undefined: AWS managed keys, which cost nothing.
   */
  protected customerKey(): kms.IKey | undefined {
    if (!this.production) return undefined;
    this.key ??= new kms.Key(this, 'Key', {
      description: `${this.service.name}: secrets and data of the managed ${this.datastore.engine}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    return this.key;
  }

  /** Retained in production; otherwise `whenNotProduction` (a final snapshot, or deleted). */
  protected removalPolicy(whenNotProduction: RemovalPolicy): RemovalPolicy {
    return this.production ? RemovalPolicy.RETAIN : whenNotProduction;
  }

  /** A field of a connection value as plain text (a token); undefined when the engine has no such field. */
  protected textField(field: ConnectionField, _name?: string): string | undefined {
    return field === 'region' ? Stack.of(this).region : undefined;
  }

  /** The password as an ECS secret; undefined when the engine has none. */
  protected passwordSecret(): ecs.Secret | undefined {
    return undefined;
  }

  /** Resolve a connection value the model decided for a caller. */
  resolve(value: ConnectionValue): ResolvedValue {
    if (value.length === 1 && typeof value[0] !== 'string' && value[0]!.field === 'password') {
      const secret = this.passwordSecret();
      if (!secret) throw new Error(`internal: ${this.service.name} has no password`);
      return { secret };
    }
    const text = value
      .map((p) => {
        if (typeof p === 'string') return p;
        const t = this.textField(p.field, p.name);
        if (t === undefined)
          throw new Error(`internal: ${this.service.name} has no ${p.field}${p.name ? ` ${p.name}` : ''}`);
        return t;
      })
      .join('');
    return { text };
  }

  /** Give a caller's task role the actions the model decided, on this datastore's resources only. */
  grantTo(_role: iam.IRole, _actions: readonly string[]): void {}

  /** Let a caller's execution role read this datastore's secret (see NetworkDatastore); none by default. */
  grantSecretKey(_executionRole: iam.IRole): void {}
}

/**
 * A managed datastore reached over the network: in isolated subnets, behind its own security
 * group (callers are admitted on `port`, one rule each), with its password in Secrets Manager
 * under the JSON key `password`.
 */
export abstract class NetworkDatastore extends ManagedDatastore {
  readonly securityGroup: ec2.SecurityGroup;
  /** The port callers connect to. */
  abstract readonly port: number;
  /** The endpoint address callers connect to. */
  abstract readonly endpoint: string;
  /** The secret whose JSON key `password` holds the password; undefined for engines without one. */
  abstract readonly secret: secretsmanager.ISecret | undefined;
  private secretReference?: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: NetworkDatastoreProps) {
    super(scope, id, props);
    this.securityGroup = props.securityGroup;
  }

  protected override textField(field: ConnectionField, name?: string): string | undefined {
    return field === 'host' ? this.endpoint : super.textField(field, name);
  }

  protected override passwordSecret(): ecs.Secret | undefined {
    const secret = this.callerSecret();
    return secret ? ecs.Secret.fromSecretsManager(secret, 'password') : undefined;
  }

  /**
   * The secret as callers refer to it: by ARN alone, so granting a caller the secret grants
   * nothing on its key (that is `grantSecretKey`, on the caller's side).
   */
  callerSecret(): secretsmanager.ISecret | undefined {
    if (!this.secret) return undefined;
    this.secretReference ??= secretsmanager.Secret.fromSecretCompleteArn(
      this,
      'SecretReference',
      this.secret.secretArn,
    );
    return this.secretReference;
  }

  /**
   * Let a caller's execution role decrypt this datastore's secret with its customer managed key,
   * through Secrets Manager only. An IAM grant on the caller's side: a grant in the key policy
   * would name the caller's role, and with the datastore in a stack of its own (`--split`) the two
   * stacks would refer to each other.
   */
  override grantSecretKey(executionRole: iam.IRole): void {
    const key = this.secret ? this.customerKey() : undefined;
    if (!key) return;
    executionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
        },
      }),
    );
  }

  /** A generated password in Secrets Manager (JSON key `password`), for engines that take one as input. */
  protected generatedPassword(id: string, description: string): secretsmanager.Secret {
    const secret = new secretsmanager.Secret(this, id, {
      description,
      encryptionKey: this.customerKey(),
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'password',
        excludePunctuation: true,
        passwordLength: 32,
      },
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating this password also needs the datastore changed (modify-replication-group); left to the operator, documented in docs/infrastructure.md.',
    });
    return secret;
  }
}
