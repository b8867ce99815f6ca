import { Command } from 'commander';
import { envOption, rolloutOptions } from '../app-options.js';
import { lazyCommand } from '../lazy-command.js';

export function rollbackCommand(): Command {
  const definition = rolloutOptions(
    new Command('rollback')
      .description(
        'Redeploy the previous successful deployment (its recorded templates and images), and wait until it runs',
      )
      .addOption(envOption())
      .option('--to <id>', 'this recorded deployment instead of the previous one (see --dry-run for the ids)')
      .option('--dry-run', 'list the recorded deployments and say which one would be redeployed')
      .option('-y, --yes', 'do not ask: accept security changes'),
  ).addHelpText(
    'after',
    `
deploy records each successful deployment (the last 10) in .shipshape/deploy/<env>.json, with its
templates in .shipshape/deploy/<env>/<id>/. rollback redeploys the newest one that differs from the
current one, through deploy's own path (security review, progress, steady-state wait), building nothing.

Exit codes: 0 rolled back and steady, 1 CloudFormation or the rollout failed, or an image is gone from its
registry, 2 nothing to roll back to / unknown --to / security changes not approved, 3 no credentials.

Examples:
  shipshape rollback --env prod --dry-run
  shipshape rollback --env prod
  shipshape rollback --env dev --to 3f2a1b9c0d1e --yes

Docs: docs/day2.md`,
  );
  return lazyCommand(definition, () => import('../actions/rollback.js'));
}
