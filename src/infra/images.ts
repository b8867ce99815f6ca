import { CfnParameter, Stack, Validations } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import type { AppModel, ServiceModel } from '../model/types.js';
import { helperRepositoryName, imageParameterName, repositoryName, ServiceRepository } from './registry.js';

/**
 * Where every image a task runs comes from: the app's own registry (ECR, or the `--registry` of a
 * test), pinned by digest. Deploy builds each built service, bakes each derived one, and copies
 * each image-only service's image and each helper image (the secrets helper's BusyBox) from the
 * local engine into the app's repositories; the task definitions name `<repository>@<digest>`,
 * the digest a stack parameter deploy fills with what it pushed.
 *
 * Why copies, not ECR pull-through cache rules: a cache rule for Docker Hub needs a Docker Hub
 * account's credentials in Secrets Manager, and the first pull of each image through a cache rule
 * creates its repository, which the tasks' execution roles would have to be allowed to do. A copy
 * needs neither, is the exact image `check` scanned and `up` ran (same image id), and goes
 * through the same push as built images: tasks pull only from the app's repositories, which the
 * VPC endpoints serve when the VPC has no NAT, and nothing is pulled from Docker Hub at run time.
 */

/** How deploy gets a slot's image. */
export type ImageSource =
  /** Built (or derived, or slimmed) from the service, as the model decided. */
  | { kind: 'service' }
  /** Copied from this reference, pulled to the local engine when absent. */
  | { kind: 'copy'; image: string };

/** Where deploy pushes an image, and the stack parameter that carries its digest. */
export interface ImageSlot {
  /** The service, or the helper (`secrets-init`), whose image it is. */
  readonly service: string;
  /** Stack holding the parameter. */
  readonly stackName: string;
  readonly parameter: string;
  /** Repository name, in ECR or in the `--registry`. */
  readonly repositoryName: string;
  readonly source: ImageSource;
}

export interface AppImagesProps {
  readonly app: AppModel;
  /**
   * Where ECR repositories are created (synth: a stack deploy creates first); services refer to
   * them by name.
   * @default the scope that first needs the repository
   */
  readonly repositoryScope?: Construct;
  /**
   * A registry host images are pulled from instead of ECR (`deploy --registry`).
   * @default ECR
   */
  readonly registry?: string;
}

/** An ECR image by digest; pulling it is granted to the task's execution role (CDK's EcrImage does the same by tag). */
class EcrDigestImage extends ecs.ContainerImage {
  constructor(
    private readonly repository: ecr.IRepository,
    private readonly digest: string,
  ) {
    super();
  }

  bind(_scope: Construct, container: ecs.ContainerDefinition): ecs.ContainerImageConfig {
    const role = container.taskDefinition.obtainExecutionRole();
    this.repository.grantPull(role);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken only accepts Resource "*"; image pulls themselves are scoped to the app\'s repositories.',
    });
    return { imageName: this.repository.repositoryUriForDigest(this.digest) };
  }
}

/** The images of a ComposeApp's tasks: one slot per (stack, image), repositories created once. */
export class AppImages {
  readonly slots: ImageSlot[] = [];
  /** ECR repositories created, by repository name. */
  readonly repositories = new Map<string, ServiceRepository>();
  private readonly parameters = new Map<string, string>();

  constructor(
    private readonly owner: Construct,
    private readonly props: AppImagesProps,
  ) {}

  /** The image of a service's container. */
  forService(s: ServiceModel, where: Construct): ecs.ContainerImage {
    // A registry image is copied by the digest shipshape.lock pinned (the image check judged),
    // else by the tag compose names.
    const source: ImageSource =
      s.intent.cloudImage.kind === 'registry'
        ? { kind: 'copy', image: s.intent.cloudImage.pinned ?? s.image! }
        : { kind: 'service' };
    // Construct ids as they always were, so the repositories keep their logical ids.
    return this.image({
      name: s.name,
      parameterBase: s.name,
      repository: repositoryName(this.props.app, s.name),
      source,
      where,
      home: where,
      id: this.props.repositoryScope ? `Registry-${s.name}` : 'Registry',
      referenceId: 'Registry',
    });
  }

  /** The image of a helper container shipshape adds to a task, copied from `image`. */
  forHelper(helper: string, image: string, where: Construct): ecs.ContainerImage {
    const id = `Registry-shipshape-${helper}`;
    return this.image({
      name: helper,
      parameterBase: `shipshape-${helper}`,
      repository: helperRepositoryName(this.props.app, helper),
      source: { kind: 'copy', image },
      where,
      home: this.owner,
      id,
      referenceId: id,
    });
  }

  private image(x: {
    name: string;
    parameterBase: string;
    repository: string;
    source: ImageSource;
    where: Construct;
    /** Where the repository is created without a `repositoryScope`. */
    home: Construct;
    /** Construct id of the repository where it is created, and of its reference elsewhere. */
    id: string;
    referenceId: string;
  }): ecs.ContainerImage {
    const digest = this.digestParameter(x, Stack.of(x.where));
    const registry = this.props.registry?.replace(/\/+$/, '');
    if (registry) return ecs.ContainerImage.fromRegistry(`${registry}/${x.repository}@${digest}`);
    return new EcrDigestImage(this.repository(x), digest);
  }

  /** The stack's parameter carrying the image's digest (one per image and stack). */
  private digestParameter(
    x: { name: string; parameterBase: string; repository: string; source: ImageSource },
    stack: Stack,
  ): string {
    const key = `${stack.stackName}\n${x.repository}`;
    const existing = this.parameters.get(key);
    if (existing) return existing;
    const taken = new Set(this.slots.filter((y) => y.stackName === stack.stackName).map((y) => y.parameter));
    const parameter = imageParameterName(x.parameterBase, taken);
    const value = new CfnParameter(stack, parameter, {
      type: 'String',
      description: `Digest of the image of ${x.name} in ${x.repository} (set by shipshape deploy)`,
      allowedPattern: '^sha256:[0-9a-f]{64}$',
      constraintDescription: 'an image digest, sha256:<64 hex digits>',
    }).valueAsString;
    this.slots.push({
      service: x.name,
      stackName: stack.stackName,
      parameter,
      repositoryName: x.repository,
      source: x.source,
    });
    this.parameters.set(key, value);
    return value;
  }

  /**
   * The repository, created once (in `repositoryScope` when given, else where it is first needed),
   * referred to by name from other stacks.
   */
  private repository(x: {
    repository: string;
    where: Construct;
    home: Construct;
    id: string;
    referenceId: string;
  }): ecr.IRepository {
    let own = this.repositories.get(x.repository);
    if (!own) {
      own = new ServiceRepository(this.props.repositoryScope ?? x.home, x.id, {
        repositoryName: x.repository,
      });
      this.repositories.set(x.repository, own);
    }
    if (Stack.of(x.where) === Stack.of(own)) return own.repository;
    return (
      (x.where.node.tryFindChild(x.referenceId) as ecr.IRepository | undefined) ??
      ecr.Repository.fromRepositoryName(x.where, x.referenceId, x.repository)
    );
  }
}
