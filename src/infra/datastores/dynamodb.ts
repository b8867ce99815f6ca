import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { ConnectionField, TableKey } from '../../model/types.js';
import { ManagedDatastore, type ManagedDatastoreProps } from './base.js';

/** A table's cloud name: app, environment and the local name, so environments never share a table. */
export function tableName(app: string, environment: string, table: string): string {
  return `${app}-${environment}-${table}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 255);
}

export interface DynamoTablesProps extends ManagedDatastoreProps {
  /** The app name, for table names. */
  readonly app: string;
  /** The environment name, for table names. */
  readonly environment: string;
}

const attribute = (k: TableKey): dynamodb.Attribute => ({
  name: k.name,
  type: {
    S: dynamodb.AttributeType.STRING,
    N: dynamodb.AttributeType.NUMBER,
    B: dynamodb.AttributeType.BINARY,
  }[k.type],
});

/**
 * `amazon/dynamodb-local` → the DynamoDB tables the model lists (`x-shipshape.tables`, else one
 * `main` table): on-demand capacity, encrypted (with the AWS managed KMS key; in production with
 * the datastore's own customer managed key), point-in-time recovery and deletion protection in
 * production (retained on stack deletion there). Callers'
 * task roles get the model's data-plane actions on exactly these tables.
 */
export class DynamoTables extends ManagedDatastore {
  readonly tables = new Map<string, dynamodb.Table>();

  constructor(scope: Construct, id: string, props: DynamoTablesProps) {
    super(scope, id, props);
    for (const spec of this.datastore.tables ?? []) {
      const table = new dynamodb.Table(this, `Table-${spec.name}`, {
        tableName: tableName(props.app, props.environment, spec.name),
        partitionKey: attribute(spec.partitionKey),
        ...(spec.sortKey ? { sortKey: attribute(spec.sortKey) } : {}),
        ...(spec.ttlAttribute ? { timeToLiveAttribute: spec.ttlAttribute } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        ...this.encryption(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: this.production },
        deletionProtection: this.production,
        removalPolicy: this.removalPolicy(RemovalPolicy.DESTROY),
      });
      if (!this.production) {
        Validations.of(table).acknowledge({
          id: 'AwsSolutions-DDB3',
          reason:
            'Point-in-time recovery is on in production; non-production tables hold test data and are deleted with the stack.',
        });
      }
      this.tables.set(spec.name, table);
    }
  }

  /** The datastore's customer managed key in production, else the AWS managed one. */
  private encryption(): Pick<dynamodb.TableProps, 'encryption' | 'encryptionKey'> {
    const key = this.customerKey();
    return key
      ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: key }
      : { encryption: dynamodb.TableEncryption.AWS_MANAGED };
  }

  protected override textField(field: ConnectionField, name?: string): string | undefined {
    if (field === 'table' && name) return this.tables.get(name)?.tableName;
    return super.textField(field, name);
  }

  override grantTo(role: iam.IRole, actions: readonly string[]): void {
    if (actions.length === 0 || this.tables.size === 0) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [...actions],
        resources: [...this.tables.values()].map((t) => t.tableArn),
      }),
    );
    // Items are encrypted with the table's key: the same role may use it, for DynamoDB only.
    const key = this.customerKey();
    if (key) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'kms:Decrypt',
            'kms:Encrypt',
            'kms:GenerateDataKey',
            'kms:GenerateDataKeyWithoutPlaintext',
            'kms:ReEncryptFrom',
            'kms:ReEncryptTo',
            'kms:DescribeKey',
          ],
          resources: [key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` },
          },
        }),
      );
    }
  }
}
