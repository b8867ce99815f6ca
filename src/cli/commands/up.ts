import { Command, Option } from 'commander';
import { lazyCommand } from '../lazy-command.js';

export function upCommand(): Command {
  const definition = new Command('up')
    .description('Build and run the app locally, hardened and isolated the way production runs it')
    .argument('[service...]', 'services to start (their dependencies come along); default all')
    .option('-d, --detach', 'return once every service is healthy instead of following the logs')
    .option('--host <address>', 'host address the public load balancers publish on', '127.0.0.1')
    .addOption(
      new Option(
        '--lb <mode>',
        'public load balancing: per HTTP request, per TCP connection (cheaper), or per HTTP request by nginx (image nginx:stable-bookworm)',
      )
        .choices(['http', 'tcp', 'nginx'])
        .default('http'),
    )
    .option(
      '--fargate',
      'run the synthesized task definitions as Fargate runs them (users, capabilities, task volumes, init containers, jobs)',
    )
    .option('--timeout <seconds>', 'give up waiting for a service to become healthy after this long', '180')
    .option('--json', 'print what was created as JSON (implies --detach)')
    .addHelpText(
      'after',
      `
Examples:
  shipshape up -d                      # build, start, wait until healthy, return
  shipshape up web                     # web and what it depends on; follow logs, Ctrl-C stops
  shipshape up -d --host 0.0.0.0       # publish on every interface (explicit opt-in)
  shipshape up -d --lb nginx           # nginx balances the public HTTP ports
  shipshape up -d --fargate            # the cloud's task definitions, under Fargate's rules

Docs: docs/up.md`,
    );
  return lazyCommand(definition, () => import('../actions/up.js'));
}
