import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { engineInfo, engine } from '../engine/client.js';

const run = promisify(execFile);

/**
 * What this machine has and lacks for each shipshape command. Each check says what it found
 * and, when something is missing, the fix.
 */
export interface CheckResult {
  id: string;
  title: string;
  ok: boolean;
  detail: string;
  fix?: string;
  /** Commands (or `tests`) that need this. */
  neededBy: string[];
}

/** Where scripts/dev-env.sh puts the PyPI test oracles. */
export const ORACLE_VENV = process.env.SHIPSHAPE_VENV ?? '/opt/shipshape-venv';
export const REGISTRY_URL = process.env.SHIPSHAPE_REGISTRY ?? 'http://127.0.0.1:5000';

async function firstLine(cmd: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await run(cmd, args, { timeout: 15_000 });
  return (stdout || stderr).trim().split('\n')[0] ?? '';
}

/** A tool on PATH or in the oracle venv. */
export function findTool(name: string): string | undefined {
  const candidates = [
    join(ORACLE_VENV, 'bin', name),
    ...(process.env.PATH ?? '').split(':').map((d) => join(d, name)),
  ];
  return candidates.find((p) => p && existsSync(p));
}

async function checkEngine(): Promise<CheckResult> {
  const base = { id: 'docker', title: 'Docker engine', neededBy: ['up', 'slim', 'tests'] };
  try {
    const info = await engineInfo(engine());
    return {
      ...base,
      ok: true,
      detail: `${info.version} (API ${info.apiVersion}, ${info.os}, ${info.storageDriver ?? '?'})`,
    };
  } catch (e) {
    return {
      ...base,
      ok: false,
      detail: `not reachable: ${(e as Error).message}`,
      fix: 'on Debian run scripts/dev-env.sh (installs docker.io and starts dockerd), or set DOCKER_HOST',
    };
  }
}

/** A tool found and answering; `version` says how to ask its version (default: run it with `args`). */
async function checkTool(
  id: string,
  title: string,
  neededBy: string[],
  args: string[],
  fix: string,
  version: (path: string) => Promise<string> = (path) => firstLine(path, args),
): Promise<CheckResult> {
  const path = findTool(id);
  if (!path) return { id, title, ok: false, detail: 'not found', fix, neededBy };
  try {
    return { id, title, ok: true, detail: `${await version(path)} (${path})`, neededBy };
  } catch (e) {
    return {
      id,
      title,
      ok: false,
      detail: `${path} failed: ${(e as Error).message.split('\n')[0]}`,
      fix,
      neededBy,
    };
  }
}

async function checkRegistry(): Promise<CheckResult> {
  const base = { id: 'registry', title: 'Image registry', neededBy: ['tests'] };
  try {
    const res = await fetch(`${REGISTRY_URL}/v2/`, { signal: AbortSignal.timeout(5000) });
    const api = res.headers.get('docker-distribution-api-version') ?? 'unknown API';
    if (res.ok) return { ...base, ok: true, detail: `${REGISTRY_URL} (${api})` };
    return {
      ...base,
      ok: false,
      detail: `${REGISTRY_URL} answered ${res.status}`,
      fix: 'check the registry logs',
    };
  } catch (e) {
    return {
      ...base,
      ok: false,
      detail: `${REGISTRY_URL} not reachable (${(e as Error).cause ?? (e as Error).message})`,
      fix: 'run scripts/dev-env.sh (starts Debian docker-registry on 127.0.0.1:5000), or set SHIPSHAPE_REGISTRY',
    };
  }
}

function checkAws(): CheckResult {
  const base = { id: 'aws', title: 'AWS credentials', neededBy: ['deploy'] };
  const env = process.env;
  const endpoint = env.AWS_ENDPOINT_URL;
  const sources: string[] = [];
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) sources.push('AWS_ACCESS_KEY_ID');
  if (env.AWS_PROFILE) sources.push(`profile ${env.AWS_PROFILE}`);
  const credFile = env.AWS_SHARED_CREDENTIALS_FILE ?? join(homedir(), '.aws', 'credentials');
  if (existsSync(credFile)) sources.push(credFile);
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_WEB_IDENTITY_TOKEN_FILE)
    sources.push('container/web identity');
  if (sources.length === 0) {
    return {
      ...base,
      ok: false,
      detail: 'none found',
      fix: 'set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; for an emulator also set AWS_ENDPOINT_URL',
    };
  }
  return {
    ...base,
    ok: true,
    detail: sources.join(', ') + (endpoint ? `; endpoint override ${endpoint}` : ''),
  };
}

export async function runChecks(): Promise<CheckResult[]> {
  return Promise.all([
    Promise.resolve<CheckResult>({
      id: 'node',
      title: 'Node.js',
      ok: Number(process.versions.node.split('.')[0]) >= 20,
      detail: process.version,
      fix: 'install Node.js 20 or newer',
      neededBy: ['all'],
    }),
    checkEngine(),
    checkTool('strace', 'strace', ['slim'], ['-V'], 'apt-get install strace'),
    checkRegistry(),
    checkTool(
      'moto_server',
      'moto (AWS emulator)',
      ['tests'],
      [],
      `run scripts/dev-env.sh (pip installs moto[server] into ${ORACLE_VENV})`,
      // moto_server has no --version; ask the package in the interpreter that runs it.
      async (path) =>
        `moto ${await firstLine(join(path, '..', 'python'), ['-c', 'import moto; print(moto.__version__)'])}`,
    ),
    checkTool(
      'cfn-lint',
      'cfn-lint',
      ['tests'],
      ['--version'],
      `run scripts/dev-env.sh (pip installs cfn-lint into ${ORACLE_VENV})`,
    ),
    checkTool(
      'actionlint',
      'actionlint',
      ['tests'],
      ['-version'],
      'run scripts/dev-env.sh (go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12)',
    ),
    Promise.resolve(checkAws()),
  ]);
}
