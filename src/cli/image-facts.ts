import type { Command } from 'commander';
import { loadApp } from '../model/load.js';
import type { AppModel } from '../model/types.js';
import { errColors } from '../support/output.js';
import { globalOptions } from './app-options.js';
import { loadAppForCommand } from './load-app.js';

/**
 * For the commands that need fresh image facts (`config --update-lock`, `check`, `slim`,
 * `deploy`): load the model, pin its images in shipshape.lock (src/images/pin.ts: reading
 * registries, so async, which `loadApp` must never be), then load the model again with the facts.
 * Prints what the lock gained or changed, and a note per image that could not be read. For
 * actions only: it brings in the model loader and, when run, the registry and engine clients.
 */
export async function loadAppWithImageFacts(
  cmd: Command,
  options: { update?: boolean; environment?: string; engine?: boolean } = {},
): Promise<AppModel> {
  const o = globalOptions(cmd);
  const first = loadApp(o.file ?? [], {
    profiles: o.profile,
    envFile: o.envFile,
    environment: options.environment,
  });
  const { pinImages, pinTargets } = await import('../engine/pin-images.js');
  if (pinTargets(first).length > 0) {
    const result = await pinImages(first, {
      update: options.update,
      docker: options.engine === false ? undefined : await reachableEngine(),
      onProgress:
        o.quiet || !process.stderr.isTTY ? undefined : (l) => process.stderr.write(`${errColors.dim(l)}\n`),
    });
    const say = (line: string) => process.stderr.write(`${line}\n`);
    for (const a of result.added) say(`shipshape.lock: pinned ${a}`);
    for (const c of result.changed) say(errColors.yellow(`shipshape.lock: changed ${c}`));
    for (const n of result.notes) say(errColors.yellow(`note: ${n}`));
  }
  return loadAppForCommand(cmd, { environment: options.environment });
}

/** The engine when it answers within a moment; image facts then come from its copies first. */
async function reachableEngine() {
  const { engine } = await import('../engine/client.js');
  const docker = engine();
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 3000).unref()),
    ]);
    return docker;
  } catch {
    return undefined;
  }
}
