import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AppModel } from '../model/types.js';

/**
 * The last deployment's state, as `shipshape deploy` records it under
 * `<project>/.shipshape/deploy/` (one JSON file per environment). The report shows the newest one
 * for the app's environment; without one, it says there is none.
 */
export interface DeploymentState {
  file: string;
  /** When it finished (file time when the record has none). */
  time: string;
  environment?: string;
  status?: string;
  stacks: { name: string; status?: string }[];
  outputs: Record<string, string>;
}

export function deploymentDir(app: Pick<AppModel, 'projectDir'>): string {
  return join(app.projectDir, '.shipshape', 'deploy');
}

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
    };
  }
  return undefined;
}

const strOrUndef = (v: unknown) => (typeof v === 'string' ? v : undefined);
