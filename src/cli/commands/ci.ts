import { Command } from 'commander';
import { collect } from '../app-options.js';
import { lazyCommand } from '../lazy-command.js';

function githubCommand(): Command {
  const definition = new Command('github')
    .description('Write a GitHub Actions workflow (check, slim, diff, deploy with OIDC) and its AWS roles')
    .option('--repo <owner/name>', 'the GitHub repository the roles trust; default: the origin remote')
    .option(
      '--env <name>',
      'an environment to deploy, in order (repeatable); default: x-shipshape.environments, else the default environment',
      collect,
    )
    .option('-o, --out <dir>', 'where .github/ goes; default: the repository root')
    .option('--branch <name>', 'pushes to this branch deploy; default: origin/HEAD, else main')
    .option('--force', 'replace files that exist with other content')
    .option('--create-role', 'also deploy the role template to the current AWS account (as an administrator)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Writes .github/workflows/shipshape.yml and .github/shipshape-roles.yaml (CloudFormation):
  pull requests   check (SARIF to code scanning), slim (services with x-shipshape.slim probes),
                  diff per environment as a comment (read-only role, repo:OWNER/NAME:pull_request)
  default branch  check, then deploy per environment in its GitHub environment (deploy role,
                  repo:OWNER/NAME:environment:ENV), credentials through OIDC: no stored keys
Every action is pinned to a commit SHA; shipshape to this version.

Exit codes: 0 written (or unchanged), 1 --create-role failed, 2 bad input or a file exists with other
content (--force replaces it), 3 --create-role without AWS credentials.

Examples:
  shipshape ci github --repo acme/shop
  shipshape ci github --repo acme/shop --env staging --env prod -o out
  AWS_PROFILE=admin shipshape ci github --repo acme/shop --create-role

Docs: docs/ci.md`,
    )
    .exitOverride();
  return lazyCommand(definition, () => import('../actions/ci-github.js'));
}

export function ciCommand(): Command {
  return new Command('ci')
    .description('Set up continuous deployment: a CI workflow and least-privilege cloud roles')
    .addCommand(githubCommand())
    .addHelpText(
      'after',
      `
Examples:
  shipshape ci github --repo acme/shop                  # the workflow and the roles' template
  shipshape ci github --repo acme/shop --create-role    # and deploy the roles (administrator)

Docs: docs/ci.md`,
    );
}
