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
  images?: { service: string; reference: string }[];
  /** Why it failed, when it did. */
  error?: string;
}

/** Write `record` for the app's environment (atomically: a report never reads half a file). */
export function recordDeployment(app: Pick<AppModel, 'projectDir'>, record: DeploymentRecord): string {
  const dir = deploymentDir(app);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${record.environment}.json`);
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(partial, file);
  return file;
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
