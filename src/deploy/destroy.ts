import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel } from '../model/types.js';
import { followHint } from './aws.js';
import { openSession, selectStacks, type CloudSession } from './session.js';
import { deployedTemplate, stackResources, stackStatus } from './stacks.js';

/**
 * `destroy`: say what goes and what stays, and why, then delete the app's stacks. What stays:
 * resources whose deletion policy keeps them (log groups, the access-log bucket), databases that
 * leave a final snapshot, and the image repositories' stack, which destroy never deletes (images
 * are the release history; delete it by hand when the app is gone for good).
 */
export interface DestroyItem {
  stack: string;
  logicalId: string;
  type: string;
  physicalId?: string;
  fate: 'deleted' | 'kept' | 'snapshot';
  why?: string;
}

export interface DestroyPlan {
  stacks: string[];
  items: DestroyItem[];
  /** Stacks that are not deleted, with the reason. */
  keptStacks: { stack: string; why: string }[];
}

interface TemplateResources {
  Resources?: Record<string, { Type?: string; DeletionPolicy?: string }>;
}

const WHY_KEPT: Record<string, string> = {
  'AWS::Logs::LogGroup': 'logs outlive the app for audits and incident review',
  'AWS::S3::Bucket': 'the load balancer access logs are kept for audits',
  'AWS::ECR::Repository': 'images are the release history',
  'AWS::RDS::DBInstance': 'production data is never deleted by a command',
  'AWS::KMS::Key': 'the key still decrypts the kept logs',
};

/** Pure: the fate of each deployed resource from the deployed template's deletion policies. */
export function planDestroy(
  stacks: {
    name: string;
    template: TemplateResources;
    resources: { logicalId: string; type: string; physicalId?: string }[];
  }[],
  registryStack?: string,
): DestroyPlan {
  const items: DestroyItem[] = [];
  for (const st of stacks) {
    for (const r of st.resources) {
      if (r.type === 'AWS::CDK::Metadata') continue;
      const policy = st.template.Resources?.[r.logicalId]?.DeletionPolicy;
      const fate =
        policy === 'Retain' || policy === 'RetainExceptOnCreate'
          ? 'kept'
          : policy === 'Snapshot'
            ? 'snapshot'
            : 'deleted';
      items.push({
        stack: st.name,
        logicalId: r.logicalId,
        type: r.type,
        physicalId: r.physicalId,
        fate,
        why:
          fate === 'kept'
            ? (WHY_KEPT[r.type] ?? 'its deletion policy is Retain')
            : fate === 'snapshot'
              ? 'a final snapshot is taken before it is deleted'
              : undefined,
      });
    }
  }
  return {
    stacks: stacks.map((s) => s.name),
    items,
    keptStacks: registryStack
      ? [
          {
            stack: registryStack,
            why: 'the ECR repositories and their images (the release history) stay; delete that stack by hand when the app is gone for good',
          },
        ]
      : [],
  };
}

export interface DestroyOptions {
  yes?: boolean;
  confirm?: (question: string, plan: DestroyPlan) => Promise<boolean>;
  onProgress?: (line: string) => void;
  /** Show the plan and stop. Default false. */
  dryRun?: boolean;
}

export interface DestroyReport extends DestroyPlan {
  destroyed: string[];
}

async function readPlan(s: CloudSession): Promise<DestroyPlan> {
  const region = s.target.region;
  const present: Parameters<typeof planDestroy>[0] = [];
  for (const name of [...s.appStacks].reverse()) {
    if (!(await stackStatus(region, name))) continue;
    present.push({
      name,
      template: (await deployedTemplate(region, name)) as TemplateResources,
      resources: await stackResources(region, name),
    });
  }
  const registry = s.synth.registryStack;
  return planDestroy(present, registry && (await stackStatus(region, registry)) ? registry : undefined);
}

export async function destroyApp(app: AppModel, options: DestroyOptions = {}): Promise<DestroyReport> {
  const progress = options.onProgress ?? (() => undefined);
  const s = await openSession(app, { verb: 'destroy', onProgress: progress });
  try {
    const plan = await readPlan(s);
    if (plan.stacks.length === 0) {
      progress(`nothing to destroy: no stack of ${app.name} (${app.x.environment}) in ${s.target.region}`);
      return { ...plan, destroyed: [] };
    }
    if (options.dryRun) return { ...plan, destroyed: [] };
    if (
      !options.yes &&
      !(await (options.confirm ?? (async () => false))(`Delete ${plan.stacks.join(', ')}?`, plan))
    ) {
      throw new ShipshapeError('destroy cancelled', {
        exitCode: ExitCode.usage,
        hint: 'answer yes, or pass --yes (needed when not on a terminal)',
      });
    }
    await s.io.start();
    try {
      await s.toolkit.destroy(s.cx, { stacks: await selectStacks(s, plan.stacks) });
    } catch (e) {
      // The toolkit polls the deletion by stack id; an API that forgets a deleted stack at once
      // (instead of reporting DELETE_COMPLETE) makes that poll fail although the stack is gone.
      const left = [];
      for (const name of plan.stacks) if (await stackStatus(s.target.region, name)) left.push(name);
      if (left.length === 0) return { ...plan, destroyed: plan.stacks };
      throw new ShipshapeError(`deleting ${left.join(', ')} failed: ${(e as Error).message}`, {
        exitCode: ExitCode.failure,
        hint: `see ${followHint(plan.stacks[0]!, s.target.region)}`,
        cause: e,
      });
    } finally {
      s.io.stop();
    }
    return { ...plan, destroyed: plan.stacks };
  } finally {
    s.close();
  }
}
