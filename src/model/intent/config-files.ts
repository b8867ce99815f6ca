import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stageInstructions, type ParsedDockerfile } from '../dockerfile.js';
import type { MountDecision } from '../types.js';
import { formatPath } from '../yaml-source.js';
import type { NormalizedService } from '../normalize.js';
import type { ConfigFile } from './edges.js';

/** Larger files are not configuration a proxy is written in. */
const MAX_BYTES = 256 * 1024;
const MAX_FILES_PER_DIR = 20;

function readText(file: string): string | undefined {
  try {
    const st = statSync(file);
    if (!st.isFile() || st.size > MAX_BYTES) return undefined;
    const text = readFileSync(file, 'utf8');
    return text.includes('\0') ? undefined : text;
  } catch {
    return undefined;
  }
}

function filesOf(path: string): string[] {
  try {
    if (statSync(path).isFile()) return [path];
    return readdirSync(path)
      .map((f) => join(path, f))
      .filter((f) => statSync(f).isFile())
      .slice(0, MAX_FILES_PER_DIR);
  } catch {
    return [];
  }
}

/**
 * The configuration files a service runs with, where other services' hostnames hide
 * (`proxy_pass http://backend:8000;`): project files bind-mounted into it (baked into its cloud
 * image), and single files its Dockerfile copies from the build context into the built stage.
 */
export function configFilesOf(
  s: Pick<NormalizedService, 'name' | 'volumes' | 'build'>,
  mounts: readonly MountDecision[],
  dockerfile: ParsedDockerfile | undefined,
): ConfigFile[] {
  const out: ConfigFile[] = [];
  const add = (file: string, path: string) => {
    const text = readText(file);
    if (text !== undefined && !out.some((f) => f.file === file)) out.push({ file, text, path });
  };
  for (const m of mounts.filter((x) => x.cloud === 'baked' && x.source)) {
    const i = s.volumes.findIndex((v) => v.target === m.target);
    for (const f of filesOf(m.source!)) add(f, formatPath(['services', s.name, 'volumes', Math.max(0, i)]));
  }
  if (s.build && dockerfile?.built) {
    for (const copy of [
      ...stageInstructions(dockerfile.built, 'COPY'),
      ...stageInstructions(dockerfile.built, 'ADD'),
    ]) {
      if (copy.args.some((a) => a.startsWith('--from'))) continue;
      const sources = copy.args.filter((a) => !a.startsWith('--')).slice(0, -1);
      for (const src of sources.filter((x) => !/[*?[]|^\.\/?$|:\/\//.test(x))) {
        const file = resolve(s.build.context, src);
        if (statSafe(file)) add(file, formatPath(['services', s.name, 'build']));
      }
    }
  }
  return out;
}

const statSafe = (file: string) => {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
};
