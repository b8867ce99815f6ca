import { relative, resolve } from 'node:path';
import { ShipshapeError } from '../model/errors.js';
import type { AppModel } from '../model/types.js';
import { ROLES_FILE, WORKFLOW_FILE, writeCiFiles, type WrittenFile } from './files.js';
import { planCi, type CiPlan } from './plan.js';
import { gitRoot, originDefaultBranch, originRepository, parseRepository } from './repository.js';
import { renderRoleTemplate, trustedSubjects } from './role-template.js';
import { ACCOUNT_VARIABLE, renderWorkflow } from './workflow.js';

/** `shipshape ci github`: the workflow and the role template, planned once, written without overwriting. */

export interface GitHubCiOptions {
  /** `--repo OWNER/NAME`; default: the github.com repository of the `origin` remote. */
  repo?: string;
  /** The branch whose pushes deploy; default: `origin/HEAD` of the clone, else `main`. */
  branch?: string;
  /** Output directory; default: the repository root. */
  out?: string;
  force?: boolean;
  profiles?: string[];
  envFile?: string;
}

export interface GitHubCiResult {
  plan: CiPlan;
  files: WrittenFile[];
  /** The role template's text (what `--create-role` deploys). */
  rolesTemplate: string;
  trusted: { deploy: string[]; diff: string[] };
  /** What the user should know or do next, one line each. */
  notes: string[];
}

const ENV_NAME = /^[A-Za-z0-9-]+$/;
const BRANCH = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]+$/;

/** The environments the workflow deploys: `--env` in order, else the declared ones, else the default. */
export function selectEnvironments(app: AppModel, requested: string[]): string[] {
  const names =
    requested.length > 0
      ? requested
      : app.x.environments.length > 0
        ? app.x.environments
        : [app.x.environment];
  for (const n of names) {
    if (!ENV_NAME.test(n)) {
      throw new ShipshapeError(`--env "${n}" is not an environment name`, {
        hint: 'use letters, digits and "-" (it names the stacks and the GitHub environment)',
      });
    }
  }
  return [...new Set(names)];
}

function resolveRepository(root: string, repo: string | undefined) {
  if (repo !== undefined) return parseRepository(repo);
  const origin = originRepository(root);
  if (origin) return origin;
  throw new ShipshapeError('which GitHub repository is this? The origin remote is not on github.com', {
    hint: 'give it with --repo OWNER/NAME (it is what the roles trust)',
  });
}

function resolveBranch(root: string, branch: string | undefined): string {
  const name = branch ?? originDefaultBranch(root) ?? 'main';
  if (!BRANCH.test(name)) {
    throw new ShipshapeError(`--branch "${name}" is not a branch name`, {
      hint: 'give the default branch, e.g. --branch main',
    });
  }
  return name;
}

function nextSteps(plan: CiPlan, root: string, out: string): string[] {
  const notes: string[] = [];
  if (out !== root) {
    const shown = relative(process.cwd(), root) || '.';
    notes.push(
      `GitHub reads workflows from ${shown}/.github/workflows only: move the files there (paths in them are relative to ${shown})`,
    );
  }
  const names = plan.environments.map((e) => e.name).join(', ');
  notes.push(
    `create the GitHub environment(s) ${names} (Settings → Environments), with required reviewers where a deploy needs approval`,
  );
  if (plan.environments.some((e) => !e.account)) {
    notes.push(
      `set the account: gh variable set ${ACCOUNT_VARIABLE} --body <12-digit id> (or write x-shipshape.aws.account)`,
    );
  }
  const regions = [...new Set(plan.environments.map((e) => e.region))];
  notes.push(
    `bootstrap CDK once per region, as an administrator: ${regions.map((r) => `npx cdk bootstrap aws://ACCOUNT/${r}`).join('; ')}`,
  );
  notes.push(
    `create the roles once per account, as an administrator: shipshape ci github --repo ${plan.repository.owner}/${plan.repository.name} --create-role`,
  );
  notes.push(`deploy: ${plan.deploySlim.reason}`);
  for (const e of plan.environments) {
    if (e.refused) notes.push(`deploy ${e.name} will stop until this is fixed: ${e.refused}`);
  }
  return notes;
}

/** Plan and write the workflow and the role template for the app loaded per environment. */
export function generateGitHubCi(apps: AppModel[], options: GitHubCiOptions): GitHubCiResult {
  const first = apps[0]!;
  const root = gitRoot(first.projectDir) ?? first.projectDir;
  const plan = planCi({
    apps,
    repository: resolveRepository(root, options.repo),
    root,
    branch: resolveBranch(root, options.branch),
    profiles: options.profiles,
    envFile: options.envFile ? resolve(options.envFile) : undefined,
  });
  const out = resolve(options.out ?? root);
  const rolesTemplate = renderRoleTemplate(plan);
  const files = writeCiFiles(
    out,
    { [WORKFLOW_FILE]: renderWorkflow(plan), [ROLES_FILE]: rolesTemplate },
    options.force ?? false,
  );
  return { plan, files, rolesTemplate, trusted: trustedSubjects(plan), notes: nextSteps(plan, root, out) };
}
