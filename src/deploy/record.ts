import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { AppModel } from '../model/types.js';
import {
  addToHistory,
  assembliesDir,
  deploymentId,
  historyOf,
  pruneAssemblies,
  storeAssembly,
  type DeployableSynth,
  type HistoryEntry,
} from './history.js';

/**
 * The deployment record: `shipshape deploy` writes the outcome of each deployment (finished or
 * failed) under `<project>/.shipshape/deploy/<environment>.json`; `shipshape report` shows the
 * newest one for the app's environment, and says when there is none. One file holds both sides so
 * the format cannot drift.
 */
export interface DeploymentState {
  file: string;
  /** When it finished (file time when the record has none). */
  time: string;
  environment?: string;
  status?: string;
  stacks: { name: string; status?: string }[];
  outputs: Record<string, string>;
  /** Why it failed, when it did. */
  error?: string;
}

export function deploymentDir(app: Pick<AppModel, 'projectDir'>): string {
  return join(app.projectDir, '.shipshape', 'deploy');
}

/** What `deploy` records: how it ended, the stacks' statuses, the app's URLs, the images it pushed. */
export interface DeploymentRecord {
  environment: string;
  /** `DEPLOYED` when every stack deployed and the services settled, else `FAILED`. */
  status: 'DEPLOYED' | 'FAILED';
  /** When it finished, ISO 8601. */
  time: string;
  account?: string;
  region?: string;
  stacks: { name: string; status?: string }[];
  /** `url`, `url-2`…: where the app answers. */
  outputs: Record<string, string>;
  images?: { service: string; reference: string; digest?: string }[];
  /** Why it failed, when it did. */
  error?: string;
  /** The deployment's id in `history` (successful deployments). */
  id?: string;
  /** The last successful deployments, newest first, for `shipshape rollback` (history.ts). */
  history?: HistoryEntry[];
}

/** What a successful deployment adds to the history: what redeploying it needs. */
export interface Redeployable {
  synth: DeployableSynth;
  /** `<stack>:<parameter>` → image tag. */
  parameters: Record<string, string>;
  /** Set when this deployment is a rollback: the id it replaced. */
  rollbackFrom?: string;
}

/**
 * Write `record` for the app's environment (atomically: a report never reads half a file). The
 * history of earlier successful deployments is carried over; a successful one with `redeployable`
 * joins it, its assembly stored under `.shipshape/deploy/<env>/<id>/`.
 */
export function recordDeployment(
  app: Pick<AppModel, 'projectDir'>,
  record: DeploymentRecord,
  redeployable?: Redeployable,
): string {
  const dir = deploymentDir(app);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${record.environment}.json`);
  let history = previousHistory(file);
  let written: DeploymentRecord = { ...record, history };
  if (record.status === 'DEPLOYED' && redeployable) {
    const id = deploymentId(redeployable.synth, redeployable.parameters);
    const assemblies = assembliesDir(dir, record.environment);
    storeAssembly(assemblies, id, redeployable.synth);
    history = addToHistory(history, {
      id,
      time: record.time,
      account: record.account,
      region: record.region,
      stacks: record.stacks.map((s) => s.name),
      images: record.images ?? [],
      parameters: redeployable.parameters,
      ...(redeployable.rollbackFrom ? { rollbackFrom: redeployable.rollbackFrom } : {}),
    });
    pruneAssemblies(assemblies, history);
    written = { ...record, id, history };
  }
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(written, null, 2)}\n`);
  renameSync(partial, file);
  return file;
}

/** The history in an environment's record file (none when there is no readable file). */
function previousHistory(file: string): HistoryEntry[] {
  try {
    return historyOf(JSON.parse(readFileSync(file, 'utf8')));
  } catch {
    return [];
  }
}

/** An environment's record as deploy wrote it, or undefined when there is none (or not readable). */
export function environmentRecord(
  app: Pick<AppModel, 'projectDir'>,
  environment: string,
): DeploymentRecord | undefined {
  try {
    const raw = JSON.parse(
      readFileSync(join(deploymentDir(app), `${environment}.json`), 'utf8'),
    ) as Partial<DeploymentRecord>;
    if (!Array.isArray(raw.stacks)) return undefined;
    return { ...raw, environment, stacks: raw.stacks, outputs: raw.outputs ?? {} } as DeploymentRecord;
  } catch {
    return undefined;
  }
}

/** The recorded successful deployments of an environment, newest first, and the record file. */
export function deploymentHistory(
  app: Pick<AppModel, 'projectDir'>,
  environment: string,
): { file: string; assemblies: string; history: HistoryEntry[] } {
  const dir = deploymentDir(app);
  const file = join(dir, `${environment}.json`);
  return { file, assemblies: assembliesDir(dir, environment), history: previousHistory(file) };
}

/** The app's URLs as record outputs: `url`, `url-2`, … */
export function urlOutputs(urls: readonly string[]): Record<string, string> {
  return Object.fromEntries(urls.map((u, i) => [i === 0 ? 'url' : `url-${i + 1}`, u]));
}

/** The newest record of the app's environment; tolerant of files it did not write. */
export function lastDeployment(app: Pick<AppModel, 'projectDir' | 'x'>): DeploymentState | undefined {
  const dir = deploymentDir(app);
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ file: join(dir, f), mtime: statSync(join(dir, f)).mtime }))
    .sort((a, b) => b.mtime.getTime() - a.mtime.getTime());
  for (const { file, mtime } of files) {
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch {
      continue; // a half-written or foreign file is not a deployment record
    }
    const environment = typeof raw.environment === 'string' ? raw.environment : undefined;
    if (environment !== undefined && environment !== app.x.environment) continue;
    const stacks = Array.isArray(raw.stacks)
      ? raw.stacks.map((s: unknown) =>
          typeof s === 'string'
            ? { name: s }
            : {
                name: String((s as { name?: unknown }).name ?? ''),
                status: strOrUndef((s as { status?: unknown }).status),
              },
        )
      : [];
    const outputs = Object.fromEntries(
      Object.entries((raw.outputs as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [
        k,
        String(v),
      ]),
    );
    return {
      file,
      time: strOrUndef(raw.time ?? raw.finishedAt ?? raw.deployedAt) ?? mtime.toISOString(),
      environment,
      status: strOrUndef(raw.status),
      stacks,
      outputs,
      error: strOrUndef(raw.error),
    };
  }
  return undefined;
}

const strOrUndef = (v: unknown) => (typeof v === 'string' ? v : undefined);
