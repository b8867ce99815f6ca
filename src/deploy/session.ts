import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ICloudAssemblySource, Toolkit } from '@aws-cdk/toolkit-lib';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel } from '../model/types.js';
import { assertCloudReady, type CloudReadyApp } from '../model/gate.js';
import { onCleanup } from '../support/cleanup.js';
import { resolveTarget, type AwsTarget } from '../aws/config.js';
import { copyRecordedAssembly, type DeployableSynth, type RecordedAssembly } from './history.js';
import { DeployIoHost } from './io-host.js';
import { bootstrapStatus } from '../aws/stacks.js';

/**
 * What deploy, diff and destroy share: the cloud gate (same refusal as synth, worded for the
 * verb), who and where (STS), the synthesized assembly in a temporary directory (removed at the
 * end, also on Ctrl-C), and a toolkit with shipshape's IoHost.
 */
export interface CloudSession {
  app: AppModel;
  target: AwsTarget;
  synth: DeployableSynth;
  toolkit: Toolkit;
  io: DeployIoHost;
  cx: ICloudAssemblySource;
  /** App stacks (everything but the registry stack), in deployment order. */
  appStacks: string[];
  template(stack: string): Record<string, unknown>;
  close(): void;
}

export interface OpenOptions {
  verb: 'deploy' | 'diff' | 'destroy';
  /** Registry host for built images (deploy --registry). */
  imageRegistry?: string;
  io?: DeployIoHost;
  onProgress: (line: string) => void;
  /**
   * Deploy this recorded assembly (rollback) instead of synthesizing the app: it passed the gate
   * when it was first deployed, and is deployed as it was.
   */
  recorded?: RecordedAssembly;
}

export async function openSession(app: AppModel, options: OpenOptions): Promise<CloudSession> {
  // The gate runs once, before AWS is asked anything; synth builds what it passed.
  const ready = options.recorded ? undefined : assertCloudReady(app, options.verb);
  const target = await resolveTarget(app.x.aws.region);
  options.onProgress(
    `${target.account} / ${target.region}${target.endpoint ? ` (endpoint ${target.endpoint})` : ''} as ${target.caller}`,
  );
  assertAccount(app, target.account);
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-deploy-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onCleanup(`remove ${dir}`, remove);
  const close = () => {
    remove();
    unregister();
  };
  try {
    const synth = options.recorded
      ? copyRecordedAssembly(options.recorded, join(dir, 'cdk.out'))
      : await synthesizeFor(ready!, target.account, join(dir, 'cdk.out'), options);
    const { Toolkit } = await import('@aws-cdk/toolkit-lib');
    const io = options.io ?? new DeployIoHost();
    const toolkit = new Toolkit({ ioHost: io, emojis: false, color: Boolean(process.stderr.isTTY) });
    const cx = await toolkit.fromAssemblyDirectory(synth.outdir);
    const templates = new Map(synth.stacks.map((s) => [s.name, s.templateFile]));
    return {
      app,
      target,
      synth,
      toolkit,
      io,
      cx,
      appStacks: synth.stacks.map((s) => s.name).filter((n) => n !== synth.registryStack),
      template: (stack) => JSON.parse(readFileSync(templates.get(stack)!, 'utf8')) as Record<string, unknown>,
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}

async function synthesizeFor(
  app: CloudReadyApp,
  account: string,
  outdir: string,
  options: OpenOptions,
): Promise<DeployableSynth> {
  // CDK (aws-cdk-lib, cdk-nag) loads only once the gate passed and AWS answered.
  const { synthesize } = await import('../infra/synth.js');
  return synthesize(app, {
    account,
    outdir,
    imageRegistry: options.imageRegistry,
    onProgress: (m) => options.onProgress(`synth: ${m}`),
  });
}

/**
 * An account written in x-shipshape must be the credentials' account: deploying elsewhere is
 * refused. (Templates name the deploying account where a static name needs it, see object-store.ts.)
 */
export function assertAccount(app: AppModel, account: string): void {
  const written = app.x.aws.account;
  if (written && written !== account) {
    throw new ShipshapeError(
      `x-shipshape.aws.account is ${written}, but the AWS credentials are for account ${account}`,
      {
        exitCode: ExitCode.usage,
        hint: `use credentials (AWS_PROFILE) for account ${written}, or change x-shipshape.aws.account`,
      },
    );
  }
}

/** Select exactly these stacks (by stack name; the toolkit matches construct paths). */
export async function selectStacks(s: CloudSession, names: string[]) {
  const { StackSelectionStrategy } = await import('@aws-cdk/toolkit-lib');
  const ids = names.map((n) => s.synth.stacks.find((x) => x.name === n)?.id ?? n);
  return { strategy: StackSelectionStrategy.PATTERN_MUST_MATCH, patterns: ids };
}

/**
 * Make sure the account/region is bootstrapped for CDK; offer to do it (`confirm`), or do it
 * straight away with `yes`. Refusing is exit 3 with the command that fixes it.
 */
export async function ensureBootstrap(
  s: CloudSession,
  yes: boolean,
  confirm: (question: string) => Promise<boolean>,
  onProgress: (line: string) => void,
): Promise<'present' | 'created'> {
  const { account, region } = s.target;
  const status = await bootstrapStatus(region);
  if (status && !/ROLLBACK_COMPLETE|FAILED/.test(status)) return 'present';
  const env = `aws://${account}/${region}`;
  const question = `${env} is not bootstrapped for CDK (no CDKToolkit stack${status ? `; it is ${status}` : ''}). Bootstrap it now?`;
  if (!yes && !(await confirm(question))) {
    throw new ShipshapeError(`${env} is not bootstrapped for CDK deployments`, {
      exitCode: ExitCode.environment,
      hint: `run the deploy again with --yes to bootstrap it, or: npx cdk bootstrap ${env}`,
    });
  }
  onProgress(`bootstrapping ${env}`);
  const { BootstrapEnvironments } = await import('@aws-cdk/toolkit-lib');
  await s.toolkit.bootstrap(BootstrapEnvironments.fromList([env]), {});
  return 'created';
}
