import { Command, Option } from 'commander';
import { envOption } from '../app-options.js';
import { lazyCommand } from '../lazy-command.js';

export function synthCommand(): Command {
  const definition = new Command('synth')
    .description(
      'Synthesize least-privilege, fully tagged AWS infrastructure (CDK cloud assembly, CloudFormation YAML, diagram)',
    )
    .option('-o, --out <dir>', 'output directory (replaced)', 'cdk.out')
    .addOption(
      new Option('--split <mode>', 'stack layout: auto splits per service past 450 resources')
        .choices(['auto', 'always', 'never'])
        .default('auto'),
    )
    .addOption(envOption())
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Every synth runs the cdk-nag AwsSolutions pack and checks that each taggable resource carries the
app, environment and managed-by tags plus x-shipshape.tags.

Exit codes: 0 ok, 2 unsafe compose settings not acknowledged in x-shipshape, 4 policy gate failed.

Examples:
  shipshape synth                       # compose.yaml → cdk.out/
  shipshape synth -o infra --json
  shipshape synth --env prod            # the prod profile's templates
  shipshape -f compose.yaml -f compose.prod.yaml synth`,
    );
  return lazyCommand(definition, () => import('../actions/synth.js'));
}
