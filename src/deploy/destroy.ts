import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel } from '../model/types.js';
import { ADOPTABLE_TYPES } from '../infra/lifecycle-check.js';
import { followHint } from '../aws/config.js';
import {
  disableDeletionProtection,
  protectedToDelete,
  type ProtectedResource,
} from './deletion-protection.js';
import { openSession, selectStacks, type CloudSession } from './session.js';
import { deployedTemplate, stackResources, stackStatus } from '../aws/stacks.js';

/**
 * `destroy`: say what goes and what stays, and why, then delete the app's stacks. What stays:
 * resources whose deletion policy keeps them (log groups, buckets, production tables and file
 * systems, keys), the final snapshots of databases, and the image repositories' stack, which
 * destroy never deletes (images are the release history; delete it by hand when the app is gone
 * for good). Deletion protection (production load balancers and databases) is turned off once the
 * user confirms, for the resources the deletion removes.
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
  /** Resources the deletion removes whose deletion protection destroy turns off once confirmed. */
  protection: ProtectedResource[];
}

interface TemplateResource {
  Type?: string;
  DeletionPolicy?: string;
  Properties?: Record<string, unknown>;
}
interface TemplateResources {
  Resources?: Record<string, TemplateResource>;
}

const WHY_KEPT: Record<string, string> = {
  'AWS::Logs::LogGroup': 'logs outlive the app for audits and incident review',
  'AWS::S3::Bucket': 'kept with its objects',
  'AWS::DynamoDB::Table': 'kept with its items',
  'AWS::EFS::FileSystem': 'kept with its files (the next deploy creates a new file system)',
  'AWS::ECR::Repository': 'images are the release history',
  'AWS::KMS::Key': 'the key still decrypts what is kept (logs, tables, snapshots)',
};

/** Why a kept resource is kept, and whether the next deploy adopts it (a static name it can import). */
function keptWhy(type: string, resource: TemplateResource | undefined): string {
  const why = WHY_KEPT[type] ?? 'its deletion policy is Retain';
  const named = Object.entries(resource?.Properties ?? {}).some(
    ([k, v]) => /Name$/.test(k) && typeof v === 'string' && k !== 'GroupDescription',
  );
  return named && ADOPTABLE_TYPES.has(type) ? `${why}; the next deploy of this environment adopts it` : why;
}

const WHY_SNAPSHOT: Record<string, string> = {
  'AWS::RDS::DBInstance':
    'a final snapshot is taken, then the instance is deleted (restore: aws rds restore-db-instance-from-db-snapshot, then set a new master password)',
  'AWS::DocDB::DBCluster':
    'a final snapshot is taken, then the cluster is deleted (restore: aws docdb restore-db-cluster-from-snapshot)',
  'AWS::ElastiCache::ReplicationGroup': 'a final snapshot is taken, then the cache is deleted',
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
    for (const listed of st.resources) {
      const resource = st.template.Resources?.[listed.logicalId];
      // An emulator may list a resource without its type: the template has it.
      const r = { ...listed, type: listed.type || (resource?.Type ?? '?') };
      if (r.type === 'AWS::CDK::Metadata') continue;
      const policy = resource?.DeletionPolicy;
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
            ? keptWhy(r.type, resource)
            : fate === 'snapshot'
              ? (WHY_SNAPSHOT[r.type] ?? 'a final snapshot is taken before it is deleted')
              : undefined,
      });
    }
  }
  return {
    stacks: stacks.map((s) => s.name),
    items,
    protection: stacks.flatMap((st) => protectedToDelete(st.name, st.template, st.resources)),
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
    // Confirmed: protection would only make the deletion stop half-way (DELETE_FAILED).
    await disableDeletionProtection(s.target.region, plan.protection, progress);
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
