import { Command } from 'commander';
import { envOption } from '../app-options.js';
import { lazyCommand } from '../lazy-command.js';

export function destroyCommand(): Command {
  const definition = new Command('destroy')
    .description('Delete the app from AWS, after saying what is deleted and what is kept, and why')
    .addOption(envOption())
    .option('-y, --yes', 'do not ask (needed when not on a terminal)')
    .option('--dry-run', 'only show what would be deleted and kept')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Kept: the image repositories (their own stack), log groups, buckets, prod tables and file systems (retained; the
next deploy adopts named ones), databases' final snapshots. Deletion protection (prod) is turned off once confirmed.
Exit codes: 0 deleted (or nothing to delete), 1 CloudFormation failed, 2 cancelled or bad input, 3 no credentials.

Examples:
  shipshape destroy --dry-run            # what would go and what stays
  shipshape destroy --env dev --yes

Docs: docs/deploy.md`,
    );
  return lazyCommand(definition, () => import('../actions/destroy.js'));
}
