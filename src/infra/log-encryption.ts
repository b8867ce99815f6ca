import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';

/**
 * A customer managed KMS key (rotated yearly) that CloudWatch Logs of this account and region may
 * use for the app's log groups, and `encryptLogGroups` to put every log group under it.
 */
export class LogEncryptionKey extends Construct {
  readonly key: kms.Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = new kms.Key(this, 'Key', {
      description: `${stack.stackName}: encrypts the app's CloudWatch log groups`,
      enableKeyRotation: true,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsOfThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'], // in a key policy, "*" means this key
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );
  }

  /** Encrypt every log group under `roots` with this key. */
  encryptLogGroups(roots: Iterable<IConstruct>): number {
    const seen = new Set<logs.CfnLogGroup>();
    for (const root of roots) {
      for (const c of root.node.findAll()) {
        if (c instanceof logs.CfnLogGroup && !seen.has(c)) {
          c.kmsKeyId = this.key.keyArn;
          seen.add(c);
        }
      }
    }
    return seen.size;
  }
}
