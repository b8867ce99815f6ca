import { RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';

export interface ServiceRepositoryProps {
  /** How many images to keep; older ones expire. Default 20. */
  keepImages?: number;
}

/**
 * The ECR repository for one built service: tags are immutable (a tag always means the same
 * image), every push is scanned, images are encrypted with KMS, and only the newest
 * `keepImages` are kept. The repository outlives the stack (RETAIN) so images are not lost.
 */
export class ServiceRepository extends Construct {
  readonly repository: ecr.Repository;

  constructor(scope: Construct, id: string, props: ServiceRepositoryProps = {}) {
    super(scope, id);
    this.repository = new ecr.Repository(this, 'Repository', {
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      encryption: ecr.RepositoryEncryption.KMS,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ description: 'keep the newest images only', maxImageCount: props.keepImages ?? 20 }],
    });
  }
}
