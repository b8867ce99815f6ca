import { Command } from 'commander';
import { envOption, globalOptions, loadAppForCommand } from '../app-options.js';
import { colors, errColors, printJson, table } from '../../support/output.js';
import type { DiffReport } from '../../deploy/diff.js';

/** Exit code of `diff` when the deploy would change something (0: nothing would change). */
export const DIFF_CHANGES_EXIT = 5;

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

export function diffCommand(): Command {
  return new Command('diff')
    .description('Show what a deploy would change, security first (groups, internet exposure, IAM)')
    .addOption(envOption())
    .option('--registry <host>', 'compare as deployed with deploy --registry HOST')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Compares the synthesized templates with the deployed ones (template diff; image tags are compared by deploy).

Exit codes: 0 nothing would change, ${DIFF_CHANGES_EXIT} something would change, 2 bad input, 3 no credentials.

Examples:
  shipshape diff                         # against the deployed dev stacks
  shipshape diff --env prod --json

Docs: docs/deploy.md`,
    )
    .action(async function (this: Command, opts: { env?: string; registry?: string; json?: boolean }) {
      const app = loadAppForCommand(this, { environment: opts.env });
      const quiet = globalOptions(this).quiet;
      const { openSession } = await import('../../deploy/session.js');
      const { diffStacks } = await import('../../deploy/deploy.js');
      const s = await openSession(app, {
        verb: 'diff',
        imageRegistry: opts.registry,
        onProgress: quiet ? () => undefined : (m) => process.stderr.write(`${errColors.dim('›')} ${m}\n`),
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
    });
}
