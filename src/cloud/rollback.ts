import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel } from '../model/types.js';
import { resolveTarget } from '../aws/config.js';
import type { DeployOptions, DeployReport } from '../deploy/deploy.js';
import { chooseRollback, recordedAssembly, type HistoryEntry } from '../deploy/history.js';
import { deploymentHistory } from '../deploy/record.js';

/**
 * `shipshape rollback --env NAME`: redeploy the previous successful deployment recorded in
 * `.shipshape/deploy/<env>.json` — its stored templates with its image tags — through deploy's own
 * path (src/deploy/deploy.ts: the checks, the security review, progress, the steady-state wait and
 * the record), without building anything. The images must still be in their registry.
 */

export interface RollbackPlan {
  environment: string;
  /** The record file the history is read from. */
  file: string;
  from: HistoryEntry;
  to: HistoryEntry;
  /** Each image tag parameter that changes: `<stack>:<parameter>` → from, to. */
  changes: { parameter: string; from?: string; to: string }[];
  history: HistoryEntry[];
}

export interface RollbackReport {
  plan: RollbackPlan;
  /** The deployment (absent with `dryRun`). */
  deploy?: DeployReport;
}

export type RollbackOptions = Omit<DeployOptions, 'redeploy' | 'slim' | 'registry'> & {
  /** A recorded deployment's id (or the start of it). Default: the previous one that differs. */
  to?: string;
  /** Only say what would be redeployed. */
  dryRun?: boolean;
};

/** Pure: the parameters whose values differ between two deployments. */
export function parameterChanges(from: HistoryEntry, to: HistoryEntry): RollbackPlan['changes'] {
  return Object.keys(to.parameters)
    .sort()
    .filter((k) => from.parameters[k] !== to.parameters[k])
    .map((k) => ({ parameter: k, from: from.parameters[k], to: to.parameters[k]! }));
}

/** Which recorded deployment a rollback of the app's environment redeploys (no AWS call). */
export function planRollback(app: AppModel, to?: string): RollbackPlan {
  const environment = app.x.environment;
  const { file, history } = deploymentHistory(app, environment);
  const choice = chooseRollback(history, environment, to);
  return { environment, file, ...choice, changes: parameterChanges(choice.from, choice.to), history };
}

export async function rollbackApp(app: AppModel, options: RollbackOptions = {}): Promise<RollbackReport> {
  const plan = planRollback(app, options.to);
  if (options.dryRun) return { plan };
  const progress = options.onProgress ?? (() => undefined);
  const { assemblies } = deploymentHistory(app, plan.environment);
  const assembly = recordedAssembly(assemblies, plan.to, plan.file);
  await assertSameTarget(app, plan.to);
  await assertImagesExist(plan.to, app.x.aws.region, progress);
  progress(
    `rolling back ${plan.environment} from ${plan.from.id} (${plan.from.time}) to ${plan.to.id} (${plan.to.time})`,
  );
  for (const c of plan.changes) progress(`  ${c.parameter}: ${c.from ?? '(none)'} → ${c.to}`);
  const { deployApp } = await import('../deploy/deploy.js');
  const deploy = await deployApp(app, {
    ...options,
    redeploy: { entry: plan.to, assembly, from: plan.from.id },
  });
  return { plan, deploy };
}

/** A recorded deployment goes back where it was deployed: the same account and region. */
async function assertSameTarget(app: AppModel, entry: HistoryEntry): Promise<void> {
  const target = await resolveTarget(app.x.aws.region);
  const wanted = `${entry.account ?? target.account} / ${entry.region ?? target.region}`;
  if (wanted !== `${target.account} / ${target.region}`) {
    throw new ShipshapeError(
      `deployment ${entry.id} was deployed to ${wanted}, not to ${target.account} / ${target.region}`,
      {
        exitCode: ExitCode.usage,
        hint: 'use the credentials (AWS_PROFILE) and region it was deployed with',
      },
    );
  }
}

/**
 * `host/repository:tag` or `host/repository@sha256:…` (what deploy records: tasks run images by
 * digest) → its parts, the tag being the digest for the latter; undefined without a registry host.
 */
export function parseReference(
  reference: string,
): { host: string; repository: string; tag: string } | undefined {
  const m =
    /^([^/]+\.[^/]+|[^/]+:\d+|localhost)\/(.+?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(sha256:[0-9a-f]{64}))$/.exec(
      reference,
    );
  return m ? { host: m[1]!, repository: m[2]!, tag: (m[3] ?? m[4])! } : undefined;
}

/**
 * The images of the deployment must still be in their registry (an ECR lifecycle rule, or someone,
 * may have deleted them): a rollback to a missing image would only fail later, in the rollout.
 */
async function assertImagesExist(
  entry: HistoryEntry,
  region: string,
  progress: (line: string) => void,
): Promise<void> {
  const { plainRegistry } = await import('../deploy/images.js');
  const { ecrRegistry } = await import('../deploy/ecr.js');
  const missing: string[] = [];
  let ecr: Awaited<ReturnType<typeof ecrRegistry>> | undefined;
  for (const image of entry.images) {
    const ref = parseReference(image.reference);
    if (!ref) continue;
    const registry = /\.dkr\.ecr\./.test(ref.host)
      ? (ecr ??= await ecrRegistry(region))
      : plainRegistry(ref.host);
    const digest = await registry.existingDigest(ref.repository, ref.tag);
    if (!digest) missing.push(image.reference);
    else if (image.digest && digest !== image.digest) missing.push(`${image.reference} (now ${digest})`);
    else progress(`${image.service}: ${image.reference} is in the registry`);
  }
  if (missing.length) {
    throw new ShipshapeError(
      `the images of deployment ${entry.id} are no longer in their registry as deployed`,
      {
        exitCode: ExitCode.failure,
        hint: `missing or changed: ${missing.join(', ')}; deploy the wanted version again instead (shipshape deploy)`,
      },
    );
  }
}
