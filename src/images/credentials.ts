import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Registry credentials the way the Docker CLI finds them: `~/.docker/config.json` (or
 * `$DOCKER_CONFIG/config.json`) — a credential helper for the registry (`credHelpers`), else its
 * `auths` entry (`auth`: base64 `user:password`, or `username`/`password`, or `identitytoken`),
 * else the default store (`credsStore`), each helper run as `docker-credential-<name> get`.
 * Credentials are only ever sent to the registry they belong to; nothing here prints them.
 */

export interface Credentials {
  username?: string;
  password?: string;
  /** An OAuth refresh token (`docker login` with a token, or a helper's `<token>` user). */
  identityToken?: string;
  /** Where they came from, for messages: `~/.docker/config.json auths`, `docker-credential-pass`. */
  origin: string;
}

export interface CredentialLookup {
  credentials?: Credentials;
  /** Why none were found or a helper failed, for the note when the registry refuses. */
  problem?: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** The registry key Docker uses for Docker Hub in config.json. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

function readDockerConfig(file: string): { config: DockerConfig; problem?: string } {
  if (!existsSync(file)) return { config: {} };
  try {
    return { config: JSON.parse(readFileSync(file, 'utf8')) as DockerConfig };
  } catch (e) {
    return { config: {}, problem: `${file} cannot be read: ${(e as Error).message}` };
  }
}

/** `https://registry.example.com/v1/` → `registry.example.com` (Docker's convertToHostname). */
function hostOfKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0]!;
}

/** Whether a config key names `host` (Docker Hub has several names). */
function keyMatches(key: string, host: string): boolean {
  const h = hostOfKey(key);
  return h === host || (HUB_HOSTS.has(h) && HUB_HOSTS.has(host));
}

/** The credentials Docker would use for registry `host` (`127.0.0.1:5000`, `docker.io`). */
export async function credentialsFor(
  host: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CredentialLookup> {
  const file = dockerConfigPath(env);
  const { config, problem } = readDockerConfig(file);
  if (problem) return { problem };
  const serverUrl = HUB_HOSTS.has(host) ? DOCKER_HUB_KEY : host;
  const helper = Object.entries(config.credHelpers ?? {}).find(([k]) => keyMatches(k, host))?.[1];
  if (helper) return fromHelper(helper, serverUrl, env);
  const auth = Object.entries(config.auths ?? {}).find(([k]) => keyMatches(k, host))?.[1];
  if (auth && (auth.auth || auth.username || auth.identitytoken)) {
    const origin = `${file} auths`;
    if (auth.identitytoken) return { credentials: { identityToken: auth.identitytoken, origin } };
    if (auth.auth) {
      const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return { problem: `the auths entry for ${host} in ${file} is not base64 user:password` };
      return {
        credentials: { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), origin },
      };
    }
    return { credentials: { username: auth.username, password: auth.password, origin } };
  }
  if (config.credsStore) return fromHelper(config.credsStore, serverUrl, env);
  return { problem: `no credentials for ${host} in ${file}` };
}

/** `docker-credential-<name> get`, the server URL on stdin; its JSON answer on stdout. */
async function fromHelper(
  name: string,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
): Promise<CredentialLookup> {
  const program = `docker-credential-${name}`;
  const run = await runHelper(program, serverUrl, env);
  if (run.error) return { problem: `${program} could not run: ${run.error}` };
  if (run.code !== 0) {
    // The protocol's "not found" answer is not a failure: the registry is then tried anonymously.
    if (/credentials not found/i.test(run.stdout + run.stderr))
      return { problem: `${program} has no credentials for ${serverUrl}` };
    return { problem: `${program} failed (exit ${run.code}): ${firstLine(run.stderr || run.stdout)}` };
  }
  let answer: { Username?: string; Secret?: string };
  try {
    answer = JSON.parse(run.stdout) as typeof answer;
  } catch {
    return { problem: `${program} did not answer with JSON` };
  }
  if (!answer.Secret) return { problem: `${program} has no credentials for ${serverUrl}` };
  // A helper stores an identity token under the user name `<token>` (docker-credential-helpers).
  if (answer.Username === '<token>')
    return { credentials: { identityToken: answer.Secret, origin: program } };
  return { credentials: { username: answer.Username, password: answer.Secret, origin: program } };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 200) ?? '';
}

function runHelper(
  program: string,
  input: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string; error?: string }> {
  return new Promise((resolve) => {
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr, error: (e as NodeJS.ErrnoException).code ?? e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
