import type { Command } from 'commander';
import { loadAppWithImageFacts } from '../image-facts.js';
import { rolloutSettings, type RolloutFlags } from '../rollout.js';
import { colors, printJson, table } from '../../support/output.js';
import type { DeployReport } from '../../deploy/deploy.js';

// Heavy modules (toolkit-lib, the AWS SDK, CDK) load inside the actions, so `shipshape --help`
// and the local commands never pay for them.

export function printSummary(r: DeployReport): void {
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
        // REFERENCE is what the tasks run (repository@digest); TAG what it was pushed under.
        ['IMAGE', 'SOURCE', 'REFERENCE', 'TAG'],
        r.images.map((i) => [
          i.service,
          i.source,
          i.reference,
          `${i.tag}${i.pushed ? '' : ' (already there)'}`,
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

export default async function deployAction(
  this: Command,
  opts: {
    env?: string;
    slim?: boolean;
    registry?: string;
    yes?: boolean;
    json?: boolean;
  } & RolloutFlags,
): Promise<void> {
  const app = await loadAppWithImageFacts(this, { environment: opts.env });
  const { deployApp } = await import('../../deploy/deploy.js');
  const report = await deployApp(app, {
    yes: opts.yes,
    slim: opts.slim,
    registry: opts.registry,
    ...rolloutSettings(this, opts),
  });
  if (opts.json) printJson(report);
  else printSummary(report);
}
