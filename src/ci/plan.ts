import { isAbsolute, relative } from 'node:path';
import { profileKind, resolveProfile } from '../infra/profile.js';
import { repositoryName } from '../infra/registry.js';
import { stackName } from '../infra/synth.js';
import { ShipshapeError } from '../model/errors.js';
import type { AppModel } from '../model/types.js';
import { cloudContainers } from '../model/intent/placement.js';
import { SHIPSHAPE_VERSION } from '../support/version.js';
import type { GitHubRepository } from './repository.js';

/**
 * Everything the workflow and the role template are made from, decided once here from the app
 * model of each environment: the generators (workflow.ts, role-template.ts) only write it out.
 */

export interface CiEnvironment {
  name: string;
  region: string;
  /** `aws.account` of the environment, when written; else the workflow reads `vars.AWS_ACCOUNT_ID`. */
  account?: string;
  profile: 'dev' | 'prod';
  /** The environment's stack names: `<prefix>` and `<prefix>-*` (image repositories, split services). */
  stackPrefix: string;
  /** Its ECR repositories: `<prefix>/<service>`. */
  repositoryPrefix: string;
  /** Why its profile refuses the app today (deploy would stop there), with the fix. */
  refused?: string;
}

export interface CiPlan {
  app: string;
  repository: GitHubRepository;
  /** The repository root the workflow runs in (paths in it are relative to this). */
  root: string;
  /** Global options every `shipshape` command in the workflow starts with (`-f compose.yaml`). */
  globalArgs: string[];
  environments: CiEnvironment[];
  /** Services whose `x-shipshape.slim` has probes or a test: each gets a slim job on pull requests. */
  slimServices: string[];
  /** Deploy slim images: when every built service has its slim probes or test. */
  deploySlim: { slim: boolean; reason: string };
  /** The default branch: pushes to it deploy. */
  branch: string;
  /** The shipshape release the workflow installs (this one). */
  version: string;
  roles: { deploy: string; diff: string; stack: string };
}

export interface PlanInput {
  /** The app, loaded for each environment the workflow deploys (in deploy order). */
  apps: AppModel[];
  repository: GitHubRepository;
  root: string;
  branch: string;
  profiles?: string[];
  envFile?: string;
}

/** IAM role names are at most 64 characters. */
function roleName(app: string, suffix: string): string {
  return `shipshape-${app}`.slice(0, 63 - suffix.length) + `-${suffix}`;
}

/** A path the workflow can use: relative to the repository root, which must hold it. */
function inRoot(root: string, file: string, what: string): string {
  const rel = relative(root, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new ShipshapeError(`${what} ${file} is outside the repository ${root}`, {
      hint: 'the workflow runs in a checkout of the repository: keep the compose files inside it',
    });
  }
  return rel.split('\\').join('/');
}

/** The profile's refusal, if any: the workflow is still written, and the user is told. */
function profileRefusal(app: AppModel): string | undefined {
  try {
    resolveProfile(app);
    return undefined;
  } catch (e) {
    if (!(e instanceof ShipshapeError)) throw e;
    return `${e.message}${e.hint ? ` (${e.hint})` : ''}`;
  }
}

function environmentOf(app: AppModel): CiEnvironment {
  const prefix = stackName(app.name, app.x.environment);
  const refused = profileRefusal(app);
  return {
    ...(refused ? { refused } : {}),
    name: app.x.environment,
    region: app.x.aws.region,
    ...(app.x.aws.account ? { account: app.x.aws.account } : {}),
    profile: profileKind(app).kind,
    stackPrefix: prefix,
    repositoryPrefix: repositoryName(app, 'x').replace(/\/x$/, ''),
  };
}

function slimDecision(app: AppModel, slimServices: string[]): CiPlan['deploySlim'] {
  const built = cloudContainers(app)
    .filter((s) => s.intent.cloudImage.kind !== 'registry')
    .map((s) => s.name);
  if (built.length === 0) return { slim: false, reason: 'no service is built, so there is no image to slim' };
  const without = built.filter((s) => !slimServices.includes(s));
  if (without.length === 0) {
    return {
      slim: true,
      reason: `every built service (${built.join(', ')}) has slim probes or a test: deploy --slim ships the verified slim images`,
    };
  }
  return {
    slim: false,
    reason: `${without.join(', ')} ${without.length === 1 ? 'has' : 'have'} no x-shipshape.slim probes or test: deploy ships the full images (deploy --slim slims every built service)`,
  };
}

export function planCi(input: PlanInput): CiPlan {
  const first = input.apps[0]!;
  const globalArgs = first.files.flatMap((f) => ['-f', inRoot(input.root, f, 'the compose file')]);
  for (const p of input.profiles ?? []) globalArgs.push('--profile', p);
  if (input.envFile) globalArgs.push('--env-file', inRoot(input.root, input.envFile, 'the env file'));
  const slimServices = first.services
    .filter((s) => !s.x.localOnly && (s.x.slim.probes.length > 0 || s.x.slim.test !== undefined))
    .map((s) => s.name);
  return {
    app: first.name,
    repository: input.repository,
    root: input.root,
    globalArgs,
    environments: input.apps.map(environmentOf),
    slimServices,
    deploySlim: slimDecision(first, slimServices),
    branch: input.branch,
    version: SHIPSHAPE_VERSION,
    roles: {
      deploy: roleName(first.name, 'deploy'),
      diff: roleName(first.name, 'diff'),
      stack: stackName('shipshape', first.name, 'github'),
    },
  };
}
