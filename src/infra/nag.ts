import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One cdk-nag finding nobody acknowledged. */
export interface NagFinding {
  rule: string;
  severity: string;
  description: string;
  /** Construct paths of the offending resources. */
  resources: string[];
}

export interface NagResult {
  /** Rule pack that ran. */
  pack: string;
  findings: NagFinding[];
  /** Rules acknowledged in code, each with its reason. */
  acknowledged: NagAcknowledgement[];
}

interface ReportJson {
  pluginReports?: Array<{
    pluginName?: string;
    summary?: { pluginName?: string };
    violations?: Array<{
      ruleName?: string;
      severity?: string;
      description?: string;
      violatingConstructs?: Array<{ constructPath?: string }>;
      violatingResources?: Array<{ constructPath?: string; resourceLogicalId?: string }>;
    }>;
  }>;
}

/**
 * Read the validation report CDK writes into the assembly (`validation-report.json`) and keep the
 * cdk-nag pack's unacknowledged findings. CDK's own report format is used instead of collecting
 * findings ourselves so the assembly and our summary can never disagree.
 */
export function readNagReport(assemblyDir: string, packName: string, root: IConstruct): NagResult {
  const file = join(assemblyDir, 'validation-report.json');
  const result: NagResult = { pack: packName, findings: [], acknowledged: [] };
  result.acknowledged = listAcknowledgements(root, packName);
  if (!existsSync(file)) return result;
  const report = JSON.parse(readFileSync(file, 'utf8')) as ReportJson;
  for (const plugin of report.pluginReports ?? []) {
    const name = plugin.pluginName ?? plugin.summary?.pluginName ?? '';
    if (!name.includes(packName)) continue;
    for (const v of plugin.violations ?? []) {
      const resources = [
        ...(v.violatingConstructs ?? []).map((c) => c.constructPath),
        ...(v.violatingResources ?? []).map((r) => r.constructPath ?? r.resourceLogicalId),
      ].filter((p): p is string => typeof p === 'string');
      result.findings.push({
        rule: v.ruleName ?? 'unknown',
        severity: v.severity ?? 'error',
        description: (v.description ?? '').split('\n')[0]!,
        resources: [...new Set(resources)],
      });
    }
  }
  return result;
}

/** A rule acknowledged in code, with where and why. */
export interface NagAcknowledgement {
  path: string;
  rule: string;
  reason: string;
}

/**
 * Every cdk-nag rule acknowledged under `root` (read from the metadata CDK's
 * `Validations.of(x).acknowledge()` records), so synth can show what was accepted and why.
 */
export function listAcknowledgements(root: IConstruct, packName = 'AwsSolutions'): NagAcknowledgement[] {
  const out: NagAcknowledgement[] = [];
  for (const c of root.node.findAll()) {
    for (const m of c.node.metadata) {
      if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(m.data as Record<string, string>)) {
        const rule = id.replace(/^Annotation::/, '');
        if (rule.startsWith(`${packName}-`)) out.push({ path: c.node.path, rule, reason });
      }
    }
  }
  return out;
}
