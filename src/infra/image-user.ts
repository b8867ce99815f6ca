import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ServiceModel } from '../model/types.js';

/**
 * The user a built image runs as, read from its Dockerfile: the last `USER` of the final stage.
 * Synth does not build images, so it reads the Dockerfile instead of inspecting an image. Only
 * `USER` is needed, which a few lines handle (continuations, comments, stages); a full Dockerfile
 * parser would be more than this needs.
 *
 * Returns `undefined` when the service is not built, the Dockerfile cannot be read, or the user
 * depends on a build variable; `'root'` when the final stage sets no USER.
 */
export function dockerfileUser(service: ServiceModel): string | undefined {
  if (!service.build) return undefined;
  const file = resolve(service.build.context, service.build.dockerfile);
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: string[][] = [];
  for (const line of lines) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    const word = instruction.toUpperCase();
    if (word === 'FROM') stages.push([]);
    else if (stages.length > 0) stages.at(-1)!.push(word === 'USER' ? rest.join(' ') : '');
  }
  // With `--target`, the stage named by the target is the one that runs; keep it simple and
  // only handle the usual case of building the final stage.
  if (service.build.target) return undefined;
  const users = (stages.at(-1) ?? []).filter((u) => u !== '');
  const user = users.at(-1);
  if (user === undefined) return 'root';
  return user.includes('$') ? undefined : user;
}
