import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ShipshapeError } from '../model/errors.js';

/** A GitHub repository, as its OIDC tokens name it (`repo:OWNER/NAME:…`). */
export interface GitHubRepository {
  owner: string;
  name: string;
}

// GitHub's own rules: an owner is 1-39 letters, digits and single hyphens, not at either end;
// a repository name is 1-100 letters, digits, '.', '-' and '_', and not '.' or '..'.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

/** `OWNER/NAME` → the repository; anything else is bad input (exit 2) with the fix. */
export function parseRepository(text: string, from = '--repo'): GitHubRepository {
  const [owner, name, ...rest] = text.split('/');
  if (
    rest.length === 0 &&
    owner &&
    name &&
    OWNER.test(owner) &&
    NAME.test(name) &&
    name !== '.' &&
    name !== '..'
  ) {
    return { owner, name: name.replace(/\.git$/, '') };
  }
  throw new ShipshapeError(`${from} "${text}" is not a GitHub repository (OWNER/NAME)`, {
    hint: 'give it as it appears in the repository URL, e.g. --repo acme/shop for https://github.com/acme/shop',
  });
}

/** The GitHub repository of a git remote URL (https, ssh or scp-like), if it is one on github.com. */
export function repositoryOfRemote(url: string): GitHubRepository | undefined {
  const m =
    /^(?:https:\/\/(?:[^@/]+@)?github\.com\/|ssh:\/\/git@github\.com(?::\d+)?\/|git@github\.com:)([^/]+\/[^/]+?)(?:\.git)?\/?$/.exec(
      url.trim(),
    );
  if (!m) return undefined;
  try {
    return parseRepository(m[1]!);
  } catch {
    return undefined;
  }
}

/** The closest directory at or above `dir` holding `.git` (a checkout or a worktree), if any. */
export function gitRoot(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

/** `git <args>` in `cwd`; undefined when git is missing or says no. */
function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
  } catch {
    return undefined;
  }
}

/** The repository `origin` points to, when it is on github.com. */
export function originRepository(cwd: string): GitHubRepository | undefined {
  const url = git(cwd, ['config', '--get', 'remote.origin.url']);
  return url ? repositoryOfRemote(url) : undefined;
}

/** The default branch as the clone knows it (`origin/HEAD`), if it does. */
export function originDefaultBranch(cwd: string): string | undefined {
  const ref = git(cwd, ['symbolic-ref', '--short', 'refs/remotes/origin/HEAD']);
  return ref?.startsWith('origin/') ? ref.slice('origin/'.length) : undefined;
}
