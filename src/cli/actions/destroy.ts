import type { Command } from 'commander';
import { globalOptions } from '../app-options.js';
import { loadAppForCommand } from '../load-app.js';
import { colors, errColors, printJson, table, safeText } from '../../support/output.js';
import { askYesNo } from '../../support/prompt.js';
import type { DestroyPlan } from '../../deploy/destroy.js';

function describePlan(plan: DestroyPlan): string {
  const out: string[] = [];
  const deleted = plan.items.filter((i) => i.fate === 'deleted');
  const kept = plan.items.filter((i) => i.fate !== 'deleted');
  out.push(`${colors.bold('Deleted')}: ${deleted.length} resource(s) in ${plan.stacks.join(', ')}`);
  const byType = new Map<string, number>();
  for (const i of deleted) byType.set(i.type, (byType.get(i.type) ?? 0) + 1);
  for (const [type, n] of [...byType].sort()) out.push(`  ${n} × ${type}`);
  out.push('', colors.bold('Kept'));
  if (kept.length === 0 && plan.keptStacks.length === 0) out.push('  nothing');
  if (kept.length) {
    out.push(
      table(
        ['RESOURCE', 'TYPE', 'NAME', 'WHY'],
        kept.map((i) => [
          i.logicalId,
          i.type,
          i.physicalId ?? '',
          `${i.fate === 'snapshot' ? 'final snapshot: ' : ''}${i.why ?? ''}`,
        ]),
      ),
    );
  }
  for (const k of plan.keptStacks) out.push(`  stack ${k.stack}: ${k.why}`);
  if (plan.protection.length > 0) {
    out.push(
      '',
      colors.bold('Deletion protection'),
      '  turned off once you confirm, so the deletion can finish:',
    );
    for (const p of plan.protection) out.push(`  ${p.logicalId} (${p.type}) ${p.physicalId}`);
  }
  return out.join('\n');
}

export default async function destroyAction(
  this: Command,
  opts: { env?: string; yes?: boolean; dryRun?: boolean; json?: boolean },
): Promise<void> {
  const app = loadAppForCommand(this, { environment: opts.env });
  const quiet = globalOptions(this).quiet;
  const { destroyApp } = await import('../../deploy/destroy.js');
  const report = await destroyApp(app, {
    yes: opts.yes,
    dryRun: opts.dryRun,
    onProgress: quiet ? undefined : (m) => process.stderr.write(`${errColors.dim('›')} ${safeText(m)}\n`),
    confirm: async (question, plan) => {
      process.stderr.write(`${describePlan(plan)}\n\n`);
      return askYesNo(question);
    },
  });
  if (opts.json) printJson(report);
  else if (report.stacks.length) {
    process.stdout.write(`${describePlan(report)}\n\n`);
    process.stdout.write(
      report.destroyed.length ? `deleted ${report.destroyed.join(', ')}\n` : 'dry run: nothing deleted\n',
    );
  }
}
