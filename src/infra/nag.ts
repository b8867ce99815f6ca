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
  /** How many findings were acknowledged in code (with a reason). */
  acknowledged: number;
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
    suppressedViolations?: unknown[];
  }>;
}

/**
 * Read the validation report CDK writes into the assembly (`validation-report.json`) and keep the
 * cdk-nag pack's unacknowledged findings. CDK's own report format is used instead of collecting
 * findings ourselves so the assembly and our summary can never disagree.
 */
export function readNagReport(assemblyDir: string, packName: string): NagResult {
  const file = join(assemblyDir, 'validation-report.json');
  const result: NagResult = { pack: packName, findings: [], acknowledged: 0 };
  if (!existsSync(file)) return result;
  const report = JSON.parse(readFileSync(file, 'utf8')) as ReportJson;
  for (const plugin of report.pluginReports ?? []) {
    const name = plugin.pluginName ?? plugin.summary?.pluginName ?? '';
    if (!name.includes(packName)) continue;
    result.acknowledged += plugin.suppressedViolations?.length ?? 0;
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
