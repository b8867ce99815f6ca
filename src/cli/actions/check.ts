import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { globalOptions } from '../app-options.js';
import { loadAppWithImageFacts } from '../image-facts.js';
import { ExitCode } from '../../model/errors.js';
import type { CheckResult } from '../../policy/check.js';
import { failingFindings, type CheckSeverity, type Finding, type RuleFamily } from '../../policy/findings.js';
import { colors, errColors, safeJson, safeText } from '../../support/output.js';

const SEVERITY_COLOR: Record<CheckSeverity, (s: string) => string> = {
  high: colors.red,
  medium: colors.yellow,
  low: colors.dim,
};

function where(f: Finding): string {
  const rel = relative(process.cwd(), f.location.file);
  const file = rel.startsWith('..') ? f.location.file : rel;
  return `${safeText(file)}:${f.location.line}:${f.location.column}`;
}

/** Findings as people read them: one block per finding, grouped by service, then the verdict. */
export function formatText(r: CheckResult, failOn: CheckSeverity): string {
  const out: string[] = [];
  const groups = new Map<string, Finding[]>();
  for (const f of r.findings)
    groups.set(f.service ?? '(app)', [...(groups.get(f.service ?? '(app)') ?? []), f]);
  for (const [service, list] of groups) {
    out.push(colors.bold(safeText(service)));
    for (const f of list) {
      const sev = f.suppressed ? colors.dim('suppressed') : SEVERITY_COLOR[f.severity](f.severity.padEnd(6));
      out.push(`  ${sev} ${f.ruleId}  ${where(f)}  ${safeText(f.message)}`);
      out.push(
        colors.dim(
          f.suppressed
            ? `      acknowledged: ${safeText(f.suppressed.reason)}`
            : `      fix: ${safeText(f.fix ?? '')}`,
        ),
      );
    }
  }
  const open = r.findings.filter((f) => !f.suppressed);
  const count = (s: CheckSeverity) => open.filter((f) => f.severity === s).length;
  const failing = failingFindings(r.findings, failOn);
  out.push(
    '',
    `${open.length} finding(s): ${count('high')} high, ${count('medium')} medium, ${count('low')} low; ${r.findings.length - open.length} suppressed`,
    failing.length > 0
      ? colors.red(`check failed: ${failing.length} finding(s) at or above ${failOn}`)
      : r.incomplete.length > 0
        ? colors.red(`check incomplete: ${safeText(r.incomplete.join('; '))}`)
        : colors.green(`check passed (--fail-on ${failOn})`),
  );
  return `${out.join('\n')}\n`;
}

export default async function check(
  this: Command,
  services: string[],
  opts: {
    format: 'text' | 'json' | 'sarif';
    output?: string;
    failOn: CheckSeverity;
    only?: RuleFamily[];
    cdkOut: string;
  },
): Promise<void> {
  const app = await loadAppWithImageFacts(this);
  const quiet = globalOptions(this).quiet;
  const { runCheck } = await import('../../policy/check.js');
  const result = await runCheck(app, {
    services,
    families: opts.only,
    templateDir: opts.cdkOut,
    onProgress:
      quiet || !process.stderr.isTTY
        ? undefined
        : (m) => process.stderr.write(`${errColors.dim(`check: ${safeText(m)}`)}\n`),
  });
  if (!quiet)
    for (const n of result.notes) process.stderr.write(`${errColors.yellow(`note: ${safeText(n)}`)}\n`);
  const failing = failingFindings(result.findings, opts.failOn);
  let text: string;
  if (opts.format === 'sarif') {
    const { toSarif } = await import('../../policy/sarif.js');
    text = `${safeJson(JSON.stringify(toSarif(result.findings, result.rules), null, 2))}\n`;
  } else if (opts.format === 'json') {
    const { rules: _rules, ...rest } = result;
    const passed = failing.length === 0 && result.incomplete.length === 0;
    text = `${safeJson(JSON.stringify({ ...rest, failOn: opts.failOn, passed }, null, 2))}\n`;
  } else text = formatText(result, opts.failOn);
  if (opts.output) {
    writeFileSync(opts.output, text);
    if (!quiet) process.stderr.write(`wrote ${opts.output}\n`);
  } else process.stdout.write(text);
  // A gate that could not judge what it was asked to has not passed.
  if (failing.length > 0 || result.incomplete.length > 0) process.exitCode = ExitCode.verification;
}
