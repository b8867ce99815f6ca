import { Command, Option } from 'commander';
import { lazyCommand } from '../lazy-command.js';

export function psCommand(): Command {
  const definition = new Command('ps')
    .description(
      "List the app's containers: service, replica, state, health, published ports (with --env: the deployed environment's services and jobs)",
    )
    .addOption(new Option('--env <name>', 'the deployed environment NAME on AWS instead of the local engine'))
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      `
Without --env: the containers \`shipshape up\` runs on the local Docker engine.
With --env NAME: the ECS services of the deployed environment (tasks desired/running/pending, the
rollout and whether it was rolled back, load balancer target health, image digests), its jobs
(last run, exit code) and its URLs, through the AWS SDK (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL).

Examples:
  shipshape ps
  shipshape ps --json
  shipshape ps --env prod

Docs: docs/up.md, docs/day2.md`,
    );
  return lazyCommand(definition, () => import('../actions/ps.js'));
}
