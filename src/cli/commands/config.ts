import { Command, Option } from 'commander';
import { lazyCommand } from '../lazy-command.js';

export function configCommand(): Command {
  const definition = new Command('config')
    .description('Validate the compose files and print the normalized app model, traffic graph included')
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .option('--json', 'same as --format json')
    .option('--services', 'print only the service names, one per line')
    .option(
      '--update-lock',
      "read every image-only service's image config from its registry again and rewrite shipshape.lock",
    )
    .addHelpText(
      'after',
      `
Examples:
  shipshape config                          # compose.yaml in this directory
  shipshape config -f compose.yaml -f compose.prod.yaml --format json
  shipshape config --profile debug --services
  shipshape config --update-lock            # pin the images' digests and facts in shipshape.lock`,
    );
  return lazyCommand(definition, () => import('../actions/config.js'));
}
