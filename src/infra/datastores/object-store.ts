import { createHash } from 'node:crypto';
import { Aws, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { ConnectionField } from '../../model/types.js';
import { acknowledgeCheckov } from '../checkov.js';
import { ManagedDatastore, type ManagedDatastoreProps } from './base.js';

/**
 * The part of a bucket's name before `-<account>-<region>`: app, environment and the local name,
 * cut to fit S3's 63 characters (with a hash of the whole when cut). Names are global, so the
 * account and region make them unique; being derived, not generated, they are the same in every
 * stack that refers to them (no cross-stack exports), and so are the ARNs the task roles name.
 */
export function bucketPrefix(app: string, environment: string, bucket: string): string {
  const full = `${app}-${environment}-${bucket}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-');
  // 63 - 12 (account) - 14 (longest region name) - 2 dashes
  if (full.length <= 35) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 6);
  return `${full.slice(0, 28).replace(/-$/, '')}-${hash}`;
}

/**
 * A bucket's name: `<prefix>-<account>-<region>`, literal when the account is known (deploy and
 * diff synthesize for the caller's account): a kept bucket (buckets are retained) then has a
 * static name, which the next deploy of a destroyed environment adopts with its data (CloudFormation
 * imports existing named resources only when the name is static). Without an account (an offline
 * `synth`), the pseudo parameters stand in.
 */
function bucketNames(
  scope: Construct,
  deployedTo: string | undefined,
): { name: (prefix: string) => string; nagName: (prefix: string) => string } {
  const stack = Stack.of(scope);
  const account = deployedTo ?? (Token.isUnresolved(stack.account) ? undefined : stack.account);
  const region = Token.isUnresolved(stack.region) ? undefined : stack.region;
  return {
    name: (prefix) => `${prefix}-${account ?? Aws.ACCOUNT_ID}-${region ?? Aws.REGION}`,
    // How cdk-nag prints the name in its findings.
    nagName: (prefix) => `${prefix}-${account ?? '<AWS::AccountId>'}-${region ?? '<AWS::Region>'}`,
  };
}

export interface ObjectStoreProps extends ManagedDatastoreProps {
  /** The app name, for bucket names. */
  readonly app: string;
  /** The environment name, for bucket names. */
  readonly environment: string;
  /** The account deployed to, for static bucket names. @default the stack's account, else AWS::AccountId */
  readonly account?: string;
}

/**
 * `minio/minio` (or another S3 stand-in) → the S3 buckets the model lists (`x-shipshape.buckets`,
 * else one `data` bucket): SSE-S3 encryption, all public access blocked, bucket-owner-enforced
 * ownership (no ACLs), a policy that refuses anything but TLS, server access logs to one log
 * bucket, versioning in production. Buckets are always retained on stack deletion (S3 cannot
 * delete a bucket with objects, and emptying it would need a custom resource), and adopted with
 * their data by the next deploy of the environment (see `bucketNames`). Callers' task roles
 * get the model's object actions on these buckets only.
 */
export class ObjectStore extends ManagedDatastore {
  readonly buckets = new Map<string, s3.Bucket>();
  readonly accessLogs: s3.Bucket;
  /** Name prefix of each bucket, by local name. */
  private readonly prefixes = new Map<string, string>();
  private readonly names: ReturnType<typeof bucketNames>;

  constructor(scope: Construct, id: string, props: ObjectStoreProps) {
    super(scope, id, props);
    this.names = bucketNames(this, props.account);
    // Log delivery through a bucket policy (not the legacy LogDeliveryWrite ACL), so the log
    // bucket can refuse ACLs too; set for this construct only, whatever the app's flags say.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "This bucket only receives the data buckets' server access logs; logging access to it would need another bucket, and so on.",
    });
    acknowledgeCheckov(
      this.accessLogs,
      'CKV_AWS_18',
      "S3 access logging: the bucket only receives the data buckets' server access logs; logging access to it would need another log bucket, and so on",
    );
    acknowledgeCheckov(
      this.accessLogs,
      'CKV_AWS_21',
      'versioning: server access logs are written once and expire by lifecycle; versions would only keep expired logs',
    );
    for (const name of this.datastore.buckets ?? []) {
      const prefix = bucketPrefix(props.app, props.environment, name);
      this.prefixes.set(name, prefix);
      this.buckets.set(
        name,
        new s3.Bucket(this, `Bucket-${name}`, {
          bucketName: this.names.name(prefix),
          encryption: s3.BucketEncryption.S3_MANAGED,
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
          enforceSSL: true,
          versioned: this.production,
          serverAccessLogsBucket: this.accessLogs,
          serverAccessLogsPrefix: `${name}/`,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
      );
    }
  }

  protected override textField(field: ConnectionField, name?: string): string | undefined {
    const prefix = name ? this.prefixes.get(name) : undefined;
    if (field === 'bucket' && prefix) return this.names.name(prefix);
    return super.textField(field, name);
  }

  /** `s3:ListBucket` applies to buckets, the object actions to the objects in them. */
  override grantTo(role: iam.IRole, actions: readonly string[]): void {
    const prefixes = [...this.prefixes.values()];
    const bucketArn = (prefix: string) => `arn:${Aws.PARTITION}:s3:::${this.names.name(prefix)}`;
    const onBucket = actions.filter((a) => a === 's3:ListBucket');
    const onObjects = actions.filter((a) => a !== 's3:ListBucket');
    if (onBucket.length > 0)
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: onBucket, resources: prefixes.map(bucketArn) }),
      );
    if (onObjects.length === 0) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: onObjects, resources: prefixes.map((p) => `${bucketArn(p)}/*`) }),
    );
    // Object actions name objects: `<bucket ARN>/*` is every object of exactly this bucket.
    for (const prefix of prefixes) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${this.names.nagName(prefix)}/*]`,
        reason: `Object actions need object ARNs; <bucket>/* is the objects of ${this.service.name}'s bucket ${prefix} only, not other buckets.`,
      });
    }
  }
}
