import { Duration } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { ServiceModel } from '../model/types.js';

/**
 * The image that writes compose secrets to files: BusyBox from the Amazon ECR Public mirror of
 * the Docker official images. ComposeApp has deploy copy it into the app's own repositories and
 * tasks pull it from there by digest (src/infra/images.ts), so tasks pull nothing from outside.
 * It only needs `sh`, `printf`, `mkdir`, `chown` and `chmod`; BusyBox is the smallest image that
 * has them (about 2 MB) and is maintained as an official image.
 */
export const SECRETS_INIT_IMAGE = 'public.ecr.aws/docker/library/busybox:1.36.1';

/** Where compose secrets live in every container (the Compose Specification's default target). */
export const SECRETS_DIR = '/run/secrets';

/**
 * Where a compose secret's value is in the cloud: a Secrets Manager secret, whole, or one JSON key
 * of it (the generated password of a managed datastore the secret stands for).
 */
export interface SecretSource {
  readonly secret: secretsmanager.ISecret;
  /** @default the whole secret string */
  readonly field?: string;
}

export interface SecretFilesProps {
  readonly service: ServiceModel;
  /** The user the app container runs as (numeric users get their files chowned). */
  readonly user?: string;
  /** Where each compose top-level secret's value is, by name. */
  readonly secrets: ReadonlyMap<string, SecretSource>;
  readonly logging: ecs.LogDriver;
  /** @default SECRETS_INIT_IMAGE from its public registry */
  readonly image?: string | ecs.ContainerImage;
}

/**
 * Compose secrets arrive as files in the cloud too, as the app expects: a non-essential init
 * container receives each Secrets Manager value as an ECS secret, writes it to a task-scoped volume
 * at the compose target, hands it to the app's user (read-only, 0400), and exits; the app container
 * starts after it succeeds and mounts the volume read-only at /run/secrets.
 *
 * The init container runs as root: the task volume is root-owned and the files must be handed to
 * the app's uid (chown). It runs no app code, keeps a read-only root filesystem, drops every
 * capability but CHOWN, and exits before the app starts.
 */
export function addSecretFiles(
  scope: Construct,
  task: ecs.TaskDefinition,
  app: ecs.ContainerDefinition,
  props: SecretFilesProps,
): ecs.ContainerDefinition {
  const volume = 'compose-secrets';
  task.addVolume({ name: volume });
  const secrets: Record<string, ecs.Secret> = {};
  const owner = numericOwner(props.user);
  const lines = ['set -eu', 'umask 077'];
  props.service.intent.secrets.forEach((s, i) => {
    const source = props.secrets.get(s.name);
    if (!source) return;
    const variable = `SHIPSHAPE_SECRET_${i}`;
    secrets[variable] = ecs.Secret.fromSecretsManager(source.secret, source.field);
    const file = shellQuote(s.target);
    lines.push(`mkdir -p "$(dirname ${file})"`, `printf '%s' "$${variable}" > ${file}`);
    lines.push(owner ? `chown ${owner} ${file} && chmod 0400 ${file}` : `chmod 0444 ${file}`);
  });
  const init = task.addContainer('secrets-init', {
    containerName: 'secrets-init',
    image:
      typeof props.image === 'object'
        ? props.image
        : ecs.ContainerImage.fromRegistry(props.image ?? SECRETS_INIT_IMAGE),
    essential: false,
    user: '0',
    readonlyRootFilesystem: true,
    command: ['sh', '-c', lines.join('\n')],
    secrets,
    logging: props.logging,
    stopTimeout: Duration.seconds(2),
    linuxParameters: new ecs.LinuxParameters(scope, 'SecretsInitLinux'),
  });
  init.linuxParameters!.dropCapabilities(...CAPABILITIES_BUT_CHOWN);
  init.addMountPoints({ containerPath: SECRETS_DIR, sourceVolume: volume, readOnly: false });
  app.addMountPoints({ containerPath: SECRETS_DIR, sourceVolume: volume, readOnly: true });
  app.addContainerDependencies({ container: init, condition: ecs.ContainerDependencyCondition.SUCCESS });
  return init;
}

/** `1000` or `1000:1000` → `1000:1000`; names cannot be resolved outside the app image. */
function numericOwner(user: string | undefined): string | undefined {
  const m = /^(\d+)(?::(\d+))?$/.exec(user ?? '');
  return m ? `${m[1]}:${m[2] ?? m[1]}` : undefined;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Docker's default capability set minus CHOWN: what the init container drops. */
const CAPABILITIES_BUT_CHOWN = [
  ecs.Capability.DAC_OVERRIDE,
  ecs.Capability.FOWNER,
  ecs.Capability.FSETID,
  ecs.Capability.KILL,
  ecs.Capability.SETGID,
  ecs.Capability.SETUID,
  ecs.Capability.SETPCAP,
  ecs.Capability.NET_BIND_SERVICE,
  ecs.Capability.NET_RAW,
  ecs.Capability.SYS_CHROOT,
  ecs.Capability.MKNOD,
  ecs.Capability.AUDIT_WRITE,
  ecs.Capability.SETFCAP,
];
