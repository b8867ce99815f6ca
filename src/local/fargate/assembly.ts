import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthesize } from '../../infra/synth.js';
import type { AppModel } from '../../model/types.js';
import { onCleanup } from '../../support/cleanup.js';
import { localValues, type LocalValues } from './local-values.js';
import { readTaskDefinitions, type LocalTaskDefinition } from './task-definitions.js';

/**
 * Synthesize the app as `synth` does (same gate, same templates) into a temporary directory and
 * read its task definitions: `up --fargate` runs what the cloud would, never the model directly.
 */
export async function synthesizedTasks(
  app: AppModel,
): Promise<{ tasks: Map<string, LocalTaskDefinition>; values: LocalValues }> {
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-fargate-'));
  const unregister = onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  try {
    const synth = await synthesize(app, { outdir: join(dir, 'cdk.out') });
    const files = synth.stacks.map((s) => s.templateFile);
    const templates = files.map(
      (f) => JSON.parse(readFileSync(f, 'utf8')) as Parameters<typeof localValues>[1][number],
    );
    return { tasks: readTaskDefinitions(app, files), values: localValues(app, templates) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    unregister();
  }
}
