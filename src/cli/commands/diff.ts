import { Command } from 'commander';
import { envOption } from '../app-options.js';
import { DIFF_CHANGES_EXIT, DIFF_REFUSED_EXIT } from '../exit-codes.js';
import { lazyCommand } from '../lazy-command.js';

export function diffCommand(): Command {
  const definition = new Command('diff')
    .description(
      'Show what a deploy would change: security first (groups, internet exposure, IAM), then what it replaces and what it cannot do in place',
    )
    .addOption(envOption())
    .option('--registry <host>', 'compare as deployed with deploy --registry HOST')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Compares the synthesized templates with the deployed ones (template diff; image tags are compared by deploy),
names every resource the change replaces and why, and what deploy would refuse (a replacement that
collides with what it replaces, an export still imported) or ask about (data replaced or removed).

Exit codes: 0 nothing would change, ${DIFF_CHANGES_EXIT} something would change, ${DIFF_REFUSED_EXIT} deploy would refuse a change,
2 bad input, 3 no credentials.

Examples:
  shipshape diff                         # against the deployed dev stacks
  shipshape diff --env prod --json

Docs: docs/deploy.md`,
    );
  return lazyCommand(definition, () => import('../actions/diff.js'));
}
