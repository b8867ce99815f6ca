import type { Command } from 'commander';
import { globalOptions } from '../app-options.js';
import { loadAppForCommand } from '../load-app.js';
import { colors, errColors, printJson, table, safeText } from '../../support/output.js';
import type { DiffReport } from '../../deploy/diff.js';
import { DIFF_CHANGES_EXIT, DIFF_REFUSED_EXIT } from '../exit-codes.js';

const MARK: Record<string, string> = {
  opened: '+',
  'internet-reachable': '+',
  'iam-added': '+',
  'protection-added': '+',
  closed: '-',
  'internet-unreachable': '-',
  'iam-removed': '-',
  'protection-removed': '-',
};

function printHuman(r: DiffReport): void {
  const out: string[] = [colors.bold('Security')];
  if (r.security.length === 0) out.push('  no change to security groups, internet exposure, WAF or IAM');
  const widen = new Set(['opened', 'internet-reachable', 'iam-added', 'protection-removed']);
  for (const s of r.security) {
    const line = `  ${MARK[s.kind]} [${s.kind}] ${s.text}`;
    out.push(widen.has(s.kind) ? colors.red(line) : colors.green(line));
  }
  out.push('', colors.bold('Resources'));
  if (r.resources.length === 0) out.push('  no resource changes');
  else {
    out.push(
      table(
        ['ACTION', 'STACK', 'RESOURCE', 'TYPE', 'PROPERTIES'],
        r.resources.map((c) => [c.action, c.stack, c.resource, c.type, c.properties.join(', ')]),
      ),
    );
  }
  out.push('', colors.bold('Replacements and hazards'));
  if (r.replacements.length === 0 && r.hazards.length === 0) out.push('  nothing is replaced');
  for (const x of r.replacements) {
    const how = x.certain ? 'replaced' : 'may be replaced';
    out.push(`  ${how}: ${x.stack}: ${x.resource} (${x.type}) because of ${x.because.join(', ')}`);
  }
  for (const h of r.hazards) {
    const line = `  ${h.severity === 'refuse' ? 'REFUSED' : 'data at stake'}: ${h.stack}: ${h.resource} (${h.type}): ${h.reason}`;
    out.push(colors.red(line));
  }
  out.push('', r.hasChanges ? `${r.stacksChanged.length} stack(s) would change` : 'nothing would change');
  const refused = r.hazards.filter((h) => h.severity === 'refuse').length;
  if (refused > 0) out.push(colors.red(`deploy would refuse ${refused} change(s) it cannot make in place`));
  process.stdout.write(`${out.join('\n')}\n`);
}

export default async function diffAction(
  this: Command,
  opts: { env?: string; registry?: string; json?: boolean },
): Promise<void> {
  const app = loadAppForCommand(this, { environment: opts.env });
  const quiet = globalOptions(this).quiet;
  const { diffApp } = await import('../../deploy/deploy.js');
  const report: DiffReport = await diffApp(app, {
    registry: opts.registry,
    onProgress: quiet
      ? () => undefined
      : (m) => process.stderr.write(`${errColors.dim('›')} ${safeText(m)}\n`),
  });
  if (opts.json) printJson(report);
  else printHuman(report);
  if (report.hazards.some((h) => h.severity === 'refuse')) process.exitCode = DIFF_REFUSED_EXIT;
  else if (report.hasChanges) process.exitCode = DIFF_CHANGES_EXIT;
}
