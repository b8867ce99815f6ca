import { isAbsolute, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SarifBuilder, SarifResultBuilder, SarifRuleBuilder, SarifRunBuilder } from 'node-sarif-builder';
import type { Log, ReportingDescriptor, Result } from 'sarif';
import { SHIPSHAPE_VERSION } from '../support/version.js';
import type { CheckSeverity, Finding, RuleDefinition } from './findings.js';

/**
 * SARIF 2.1.0 for GitHub code scanning, built with node-sarif-builder: every rule with help text
 * and a `security-severity`, every finding with a physical location (paths relative to `root`,
 * the repository checkout), acknowledged findings as `inSource` suppressions with their reason.
 */
const LEVEL: Record<CheckSeverity, Result.level> = { low: 'note', medium: 'warning', high: 'error' };
/** GitHub maps security-severity to its own scale: >= 7 high, >= 4 medium, else low. */
const SECURITY_SEVERITY: Record<CheckSeverity, string> = { low: '3.0', medium: '5.5', high: '8.0' };
const HELP_URI = 'https://github.com/shipshape/shipshape/blob/main/docs/check.md';

export function toSarif(
  findings: readonly Finding[],
  rules: readonly RuleDefinition[],
  root = process.cwd(),
): Log {
  const run = new SarifRunBuilder().initSimple({
    toolDriverName: 'shipshape',
    toolDriverVersion: SHIPSHAPE_VERSION,
    url: HELP_URI,
  });
  const used = new Set(findings.map((f) => f.ruleId));
  for (const r of rules.filter((x) => used.has(x.id) || x.family !== 'cloud')) run.addRule(ruleBuilder(r));
  for (const f of findings) run.addResult(resultBuilder(f, root));
  const sarif = new SarifBuilder();
  sarif.addRun(run);
  return sarif.buildSarifOutput();
}

function ruleBuilder(r: RuleDefinition): SarifRuleBuilder {
  const b = new SarifRuleBuilder().initSimple({
    ruleId: r.id,
    shortDescriptionText: r.title,
    fullDescriptionText: r.why,
    helpUri: `${HELP_URI}#${r.id.toLowerCase()}`,
  });
  const extra: Partial<ReportingDescriptor> = {
    name: r.name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()),
    help: { text: `${r.why}.\nFix: ${r.fix}`, markdown: `${r.why}.\n\n**Fix:** ${r.fix}` },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: { tags: ['security', r.family], 'security-severity': SECURITY_SEVERITY[r.severity] },
  };
  Object.assign(b.rule, extra);
  return b;
}

function uri(file: string, root: string): string {
  const rel = relative(root, file);
  return rel && !rel.startsWith('..') && !isAbsolute(rel)
    ? rel.split('\\').join('/')
    : pathToFileURL(file).href;
}

function resultBuilder(f: Finding, root: string): SarifResultBuilder {
  const b = new SarifResultBuilder().initSimple({
    level: LEVEL[f.severity],
    messageText: `${f.service ? `${f.service}: ` : ''}${f.message}. Fix: ${f.fix}`,
    ruleId: f.ruleId,
    fileUri: uri(f.location.file, root),
    startLine: Math.max(1, f.location.line),
    startColumn: Math.max(1, f.location.column),
  });
  const extra: Partial<Result> = {
    partialFingerprints: {
      'shipshape/v1': [f.ruleId, f.service ?? '', f.path ?? '', f.image ?? ''].join('|'),
    },
    properties: { severity: f.severity, ...(f.service ? { service: f.service } : {}) },
    ...(f.suppressed ? { suppressions: [{ kind: 'inSource', justification: f.suppressed.reason }] } : {}),
  };
  Object.assign(b.result, extra);
  return b;
}
