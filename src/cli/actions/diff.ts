import type { Command } from 'commander';
import { globalOptions } from '../app-options.js';
import { loadAppForCommand } from '../load-app.js';
import { colors, errColors, printJson, table, safeText } from '../../support/output.js';
import type { DiffReport } from '../../deploy/diff.js';
import { DIFF_CHANGES_EXIT } from '../commands/diff.js';

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
  out.push('', r.hasChanges ? `${r.stacksChanged.length} stack(s) would change` : 'nothing would change');
  process.stdout.write(`${out.join('\n')}\n`);
}

export default async function diffAction(
  this: Command,
  opts: { env?: string; registry?: string; json?: boolean },
): Promise<void> {
  const app = loadAppForCommand(this, { environment: opts.env });
  const quiet = globalOptions(this).quiet;
  const { openSession } = await import('../../deploy/session.js');
  const { diffStacks } = await import('../../deploy/deploy.js');
  const s = await openSession(app, {
    verb: 'diff',
    imageRegistry: opts.registry,
    onProgress: quiet
      ? () => undefined
      : (m) => process.stderr.write(`${errColors.dim('›')} ${safeText(m)}\n`),
  });
  let report: DiffReport;
  try {
    report = await diffStacks(s);
  } finally {
    s.close();
  }
  if (opts.json) printJson(report);
  else printHuman(report);
  if (report.hasChanges) process.exitCode = DIFF_CHANGES_EXIT;
}
