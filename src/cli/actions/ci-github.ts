import { relative } from 'node:path';
import type { Command } from 'commander';
import { globalOptions } from '../app-options.js';
import { loadAppForCommand } from '../load-app.js';
import { loadApp } from '../../model/load.js';
import { colors, errColors, printJson } from '../../support/output.js';
import { generateGitHubCi, selectEnvironments, type GitHubCiResult } from '../../ci/github.js';
import type { CreateRoleResult } from '../../ci/create-role.js';

interface Options {
  repo?: string;
  env?: string[];
  out?: string;
  branch?: string;
  force?: boolean;
  createRole?: boolean;
  json?: boolean;
}

const show = (path: string) => relative(process.cwd(), path) || '.';

function printHuman(r: GitHubCiResult, roles: CreateRoleResult | undefined): void {
  const out: string[] = [];
  for (const f of r.files) out.push(`${colors.green('✔')} ${show(f.path)} (${f.status})`);
  const { plan } = r;
  out.push(
    '',
    `repository ${plan.repository.owner}/${plan.repository.name}, pushes to ${plan.branch} deploy: ${plan.environments
      .map((e) => `${e.name} (${e.region}, ${e.profile})`)
      .join(' → ')}`,
    `deploy role ${plan.roles.deploy} trusts: ${r.trusted.deploy.join(', ')}`,
    `diff role ${plan.roles.diff} (read-only) trusts: ${r.trusted.diff.join(', ')}`,
  );
  if (plan.slimServices.length > 0) out.push(`slim on pull requests: ${plan.slimServices.join(', ')}`);
  if (roles) {
    out.push(
      '',
      `${colors.green('✔')} stack ${roles.stack} deployed to ${roles.account} / ${roles.region}`,
      `  deploy role: ${roles.deployRoleArn}`,
      `  diff role:   ${roles.diffRoleArn}`,
      `  OIDC provider: ${roles.oidcProvider.created ? 'created by the stack' : `the account's own (${roles.oidcProvider.arn})`}`,
    );
  }
  out.push('', colors.bold('Next'));
  for (const n of r.notes) {
    if (roles && n.includes('--create-role')) continue;
    out.push(`  - ${n}`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

export default async function ciGithubAction(this: Command, opts: Options): Promise<void> {
  const g = globalOptions(this);
  const app = loadAppForCommand(this);
  // The workflow deploys each environment with that environment's settings (region, account,
  // profile): load the app once per environment, as `deploy --env NAME` will.
  const apps = selectEnvironments(app, opts.env ?? []).map((environment) =>
    environment === app.x.environment
      ? app
      : loadApp(g.file ?? [], { profiles: g.profile, envFile: g.envFile, environment }),
  );
  const result = generateGitHubCi(apps, {
    repo: opts.repo,
    branch: opts.branch,
    out: opts.out,
    force: opts.force,
    profiles: g.profile,
    envFile: g.envFile,
  });
  let roles: CreateRoleResult | undefined;
  if (opts.createRole) {
    const { createRoles } = await import('../../ci/create-role.js');
    roles = await createRoles(result.plan, result.rolesTemplate, {
      onProgress: g.quiet ? () => undefined : (m) => process.stderr.write(`${errColors.dim('›')} ${m}\n`),
    });
  }
  if (opts.json) {
    const { rolesTemplate: _template, ...rest } = result;
    printJson({ ...rest, ...(roles ? { roles } : {}) });
  } else printHuman(result, roles);
}
