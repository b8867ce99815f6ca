import { Command } from 'commander';
import { envOption, rolloutOptions } from '../app-options.js';
import { lazyCommand } from '../lazy-command.js';

export function deployCommand(): Command {
  const definition = rolloutOptions(
    new Command('deploy')
      .description('Build and push the images, then deploy the app to AWS and wait until it is running')
      .addOption(envOption())
      .option('--slim', 'deploy the trace-verified slim image of each built service (only if it passes)')
      .option('--registry <host>', 'push images to this registry (HOST[:PORT]) instead of ECR')
      .option(
        '-y, --yes',
        'do not ask: bootstrap when needed, accept security changes and data replaced or removed',
      ),
  ).addHelpText(
    'after',
    `
Standard AWS configuration applies: AWS_PROFILE, AWS_REGION, the credentials chain, AWS_ENDPOINT_URL.

Exit codes: 0 deployed and steady, 1 CloudFormation, a push or the rollout failed, 2 bad input or
refused (same gate as synth) or changes not approved, 3 no credentials / expired session / not
bootstrapped / no Docker / an image it cannot have, 4 the slim image failed verification or a change
CloudFormation cannot make in place, 130 interrupted (CloudFormation carries on; how to follow it is printed).

Examples:
  shipshape deploy                       # dev: build, push to ECR, deploy, wait
  shipshape deploy --env prod --slim     # prod profile, slim images
  shipshape deploy --registry 127.0.0.1:5000 --yes

Docs: docs/deploy.md`,
  );
  return lazyCommand(definition, () => import('../actions/deploy.js'));
}
