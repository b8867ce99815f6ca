import { RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';
import type { AppModel } from '../model/types.js';

export interface ServiceRepositoryProps {
  /**
   * Repository name. Explicit so deploy knows where to push before the app's stack exists (see
   * `repositoryName`).
   * @default a name CloudFormation generates
   */
  readonly repositoryName?: string;
  /**
   * How many images to keep; older ones expire.
   * @default 20
   */
  readonly keepImages?: number;
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
      repositoryName: props.repositoryName,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      encryption: ecr.RepositoryEncryption.KMS,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ description: 'keep the newest images only', maxImageCount: props.keepImages ?? 20 }],
    });
  }
}

/** ECR repository names: lowercase, `[a-z0-9._-]` segments separated by `/`. */
function repositorySegment(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'x'
  );
}

/**
 * Where a service's image is pushed: `<app>-<env>/<service>`, in ECR or in the registry given to
 * deploy with `--registry`. Deterministic, so deploy can push before the stack that uses it exists
 * and the stack can name it without a cross-stack reference.
 */
export function repositoryName(app: AppModel, service: string): string {
  return `${repositorySegment(`${app.name}-${app.x.environment}`)}/${repositorySegment(service)}`;
}

/**
 * Where a helper image shipshape adds to tasks is copied: `<app>-<env>/shipshape/<helper>`. Two
 * slashes, so it never meets a service's repository.
 */
export function helperRepositoryName(app: AppModel, helper: string): string {
  return `${repositorySegment(`${app.name}-${app.x.environment}`)}/shipshape/${repositorySegment(helper)}`;
}

/**
 * Name of the CloudFormation parameter carrying the digest of a service's image (`ImageDigestWeb`
 * for `web`). One per service, so a deploy that changes one image replaces only that service's
 * tasks.
 */
export function imageParameterName(service: string, taken: ReadonlySet<string> = new Set()): string {
  const pascal = service
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
  const base = `ImageDigest${pascal}`.slice(0, 240);
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}${i}`;
  return name;
}
