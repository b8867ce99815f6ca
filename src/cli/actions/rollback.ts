import type { Command } from 'commander';
import { loadAppForCommand } from '../load-app.js';
import { rolloutSettings, type RolloutFlags } from '../rollout.js';
import { colors, printJson, table } from '../../support/output.js';
import type { RollbackPlan } from '../../cloud/rollback.js';
import { printSummary } from './deploy.js';

function describePlan(plan: RollbackPlan): string {
  const tags = (e: RollbackPlan['to']) =>
    e.images.map((i) => `${i.service}:${i.reference.split(':').pop()}`).join(' ');
  const rows = plan.history.map((e, i) => [
    e.id,
    e.time,
    tags(e),
    [
      i === 0 ? 'current' : '',
      e === plan.to ? colors.bold('← rollback target') : '',
      e.rollbackFrom ? `(rollback from ${e.rollbackFrom})` : '',
    ]
      .filter(Boolean)
      .join(' '),
  ]);
  return [
    `${plan.environment}: ${plan.history.length} recorded deployment(s), newest first (${plan.file})`,
    table(['ID', 'DEPLOYED', 'IMAGES', ''], rows),
    '',
    `rollback redeploys ${plan.to.id} (${plan.to.time})${plan.changes.length ? ':' : ' (same image tags, other templates)'}`,
    ...plan.changes.map((c) => `  ${c.parameter}: ${c.from ?? '(none)'} → ${c.to}`),
  ].join('\n');
}

export default async function rollbackAction(
  this: Command,
  opts: {
    env?: string;
    to?: string;
    dryRun?: boolean;
    yes?: boolean;
    json?: boolean;
  } & RolloutFlags,
): Promise<void> {
  const app = loadAppForCommand(this, { environment: opts.env });
  const { rollbackApp } = await import('../../cloud/rollback.js');
  const report = await rollbackApp(app, {
    to: opts.to,
    dryRun: opts.dryRun,
    yes: opts.yes,
    ...rolloutSettings(this, opts),
  });
  if (opts.json) return printJson(report);
  if (!report.deploy) return void process.stdout.write(`${describePlan(report.plan)}\n`);
  process.stdout.write(
    `rolled back ${report.plan.environment} to ${report.plan.to.id} (${report.plan.to.time})\n`,
  );
  printSummary(report.deploy);
}
