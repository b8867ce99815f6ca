import { Command, Option } from 'commander';
import { envOption, globalOptions, loadAppForCommand } from '../app-options.js';
import { colors, errColors, printJson, table } from '../../support/output.js';
import { askYesNo } from '../../support/prompt.js';
import type { DeployReport } from '../../deploy/deploy.js';

// Heavy modules (toolkit-lib, the AWS SDK, CDK) load inside the actions, so `shipshape --help`
// and the local commands never pay for them.

function printSummary(r: DeployReport): void {
  const out = [
    `${colors.green('✔')} ${r.app} (${r.environment}, profile ${r.profile}) deployed to ${r.account} / ${r.region} in ${(r.durationMs / 1000).toFixed(1)} s`,
    '',
  ];
  for (const url of r.urls) out.push(`  ${colors.bold(url)}`);
  if (r.urls.length) out.push('');
  if (r.services.length) {
    out.push(
      table(
        ['SERVICE', 'TASKS', 'ROLLOUT'],
        r.services.map((s) => [s.name, `${s.running}/${s.desired}`, s.rollout ?? '']),
      ),
      '',
    );
  }
  if (r.images.length) {
    out.push(
      table(
        ['IMAGE', 'SOURCE', 'REFERENCE', 'DIGEST'],
        r.images.map((i) => [
          i.service,
          i.source,
          i.reference,
          i.digest ?? (i.pushed ? '' : 'already pushed'),
        ]),
      ),
      '',
    );
  }
  out.push(
    table(
      ['STACK', 'STATUS'],
      r.stacks.map((s) => [s.name, s.status ?? '']),
    ),
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

export function deployCommand(): Command {
  return new Command('deploy')
    .description('Build and push the images, then deploy the app to AWS and wait until it is running')
    .addOption(envOption())
    .option('--slim', 'deploy the trace-verified slim image of each built service (only if it passes)')
    .option('--registry <host>', 'push images to this registry (HOST[:PORT]) instead of ECR')
    .option('-y, --yes', 'do not ask: bootstrap when needed, accept security changes')
    .addOption(
      new Option('--method <method>', 'how CloudFormation applies the templates')
        .choices(['change-set', 'direct'])
        .default('change-set'),
    )
    .option('--no-wait', 'return once CloudFormation is done, without waiting for the services')
    .option('--timeout <seconds>', 'how long to wait for the services to become steady', '900')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Standard AWS configuration applies: AWS_PROFILE, AWS_REGION, the credentials chain, AWS_ENDPOINT_URL.

Exit codes: 0 deployed and steady, 1 CloudFormation, a push or the rollout failed, 2 bad input or
refused (same gate as synth), 3 no credentials / expired session / not bootstrapped / no Docker,
4 the slim image failed verification, 130 interrupted (CloudFormation carries on; how to follow it is printed).

Examples:
  shipshape deploy                       # dev: build, push to ECR, deploy, wait
  shipshape deploy --env prod --slim     # prod profile, slim images
  shipshape deploy --registry 127.0.0.1:5000 --yes

Docs: docs/deploy.md`,
    )
    .action(async function (
      this: Command,
      opts: {
        env?: string;
        slim?: boolean;
        registry?: string;
        yes?: boolean;
        method: 'change-set' | 'direct';
        wait: boolean;
        timeout: string;
        json?: boolean;
      },
    ) {
      const app = loadAppForCommand(this, { environment: opts.env });
      const quiet = globalOptions(this).quiet;
      const { deployApp } = await import('../../deploy/deploy.js');
      const timeout = Number(opts.timeout);
      const report = await deployApp(app, {
        yes: opts.yes,
        slim: opts.slim,
        registry: opts.registry,
        method: opts.method,
        wait: opts.wait,
        timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : 900_000,
        confirm: askYesNo,
        onProgress: quiet ? undefined : (m) => process.stderr.write(`${errColors.dim('›')} ${m}\n`),
      });
      if (opts.json) printJson(report);
      else printSummary(report);
    });
}
