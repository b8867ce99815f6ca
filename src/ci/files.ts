import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ShipshapeError } from '../model/errors.js';

/** Where `ci github` writes, under its output directory (the repository root by default). */
export const WORKFLOW_FILE = '.github/workflows/shipshape.yml';
export const ROLES_FILE = '.github/shipshape-roles.yaml';

export interface WrittenFile {
  path: string;
  status: 'created' | 'unchanged' | 'replaced';
}

/**
 * Write each file under `dir`. A file that exists with other content is the user's: unless
 * `force`, nothing is written and the command stops (exit 2) naming it. A file with the same
 * content is left alone, so running the command again is harmless.
 */
export function writeCiFiles(dir: string, files: Record<string, string>, force: boolean): WrittenFile[] {
  const plan = Object.entries(files).map(([rel, text]) => {
    const path = join(dir, rel);
    const old = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    const status: WrittenFile['status'] =
      old === undefined ? 'created' : old === text ? 'unchanged' : 'replaced';
    return { path, text, status };
  });
  const differing = plan.filter((f) => f.status === 'replaced');
  if (differing.length > 0 && !force) {
    throw new ShipshapeError(
      `${differing.map((f) => f.path).join(' and ')} already ${differing.length === 1 ? 'exists' : 'exist'} with other content; nothing was written`,
      {
        hint: 'review it (it may hold your own changes), then run again with --force to replace it, or write elsewhere with -o DIR',
      },
    );
  }
  for (const f of plan) {
    if (f.status === 'unchanged') continue;
    mkdirSync(dirname(f.path), { recursive: true });
    // Write beside and rename, so an interrupted run never leaves half a workflow.
    writeFileSync(`${f.path}.tmp-${process.pid}`, f.text);
    renameSync(`${f.path}.tmp-${process.pid}`, f.path);
  }
  return plan.map(({ path, status }) => ({ path, status }));
}
