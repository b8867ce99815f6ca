import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Modules that must never load on the light paths (`--help`, `--version`, `config`): CDK and its
 * policy packs, the Docker client and what it drags in, the diagram layout engine, tar streams.
 */
export const HEAVY_PACKAGES = [
  'aws-cdk-lib',
  'constructs',
  'cdk-nag',
  '@aws-cdk/aws-service-spec',
  'elkjs',
  'dockerode',
  'docker-modem',
  'ssh2',
  '@grpc/grpc-js',
  'protobufjs',
  'tar-stream',
  'tar-fs',
  'js-yaml',
];

/** Run a CLI entry point (`node [preload...] entry ...args`) and list every module it loaded. */
export function loadedModules(
  preload: string[],
  entry: string,
  args: string[],
  cwd: string,
): { code: number | null; stderr: string; modules: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-imports-'));
  try {
    const record = join(dir, 'modules.txt');
    const recorder = new URL('./record-imports.mjs', import.meta.url).pathname;
    const r = spawnSync(process.execPath, [...preload, '--import', recorder, entry, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', RECORD_IMPORTS: record },
      timeout: 60_000,
    });
    const modules = readFileSync(record, 'utf8').split('\n').filter(Boolean);
    return { code: r.status, stderr: r.stderr, modules: [...new Set(modules)] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The packages (from node_modules) among `modules`. */
export function packagesIn(modules: string[]): Set<string> {
  const out = new Set<string>();
  for (const m of modules) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m);
    if (match) out.add(match[1]!);
  }
  return out;
}
