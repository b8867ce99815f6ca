import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

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

const require = createRequire(import.meta.url);

/** An aws-cdk-lib file by its path inside the package, as Node's require cache names it. */
export function cdkLibFile(path: string): string {
  return realpathSync(join(dirname(require.resolve('aws-cdk-lib/package.json')), path));
}

/**
 * cdk-nag's view of an aws-cdk-lib service module (`aws-cdk-lib/aws-s3`), used by the CLI bundle
 * (scripts/build.mjs). The AwsSolutions rules ask `node instanceof CfnX` for some 300 L1 classes
 * of 54 services, and reading each class from aws-cdk-lib loads its service's L1 module: 15 MB of
 * JavaScript, over half a second per synth, for services the app never uses. But no construct can
 * be an instance of a class whose module was never loaded. So until that module is loaded, a Cfn*
 * class reads as a stand-in whose `instanceof` answers false — exactly what the real class would
 * answer — and which turns into the real class for anything else, or once the module is loaded.
 * Every rule still runs on every resource with the same outcome. `classFiles` names the file that
 * defines each class (path inside aws-cdk-lib); the build checks each one cdk-nag uses.
 */
export function instanceofView(real: object, classFiles: Record<string, string>): object {
  const files = new Map<string, string>();
  const loaded = (name: string) => {
    const path = classFiles[name];
    if (path === undefined) return true; // not a class we know: always the real thing
    if (!files.has(path)) files.set(path, cdkLibFile(path));
    return require.cache[files.get(path)!] !== undefined;
  };
  const standIns = new Map<string, unknown>();
  const standIn = (name: string) => {
    const cls = () => Reflect.get(real, name) as (...args: unknown[]) => unknown;
    return new Proxy(function () {}, {
      get: (_t, key) =>
        key === Symbol.hasInstance
          ? (value: unknown) => loaded(name) && value instanceof cls()
          : Reflect.get(cls(), key),
      has: (_t, key) => Reflect.has(cls(), key),
      apply: (_t, self, args) => Reflect.apply(cls(), self, args),
      construct: (_t, args) => Reflect.construct(cls(), args) as object,
    });
  };
  return new Proxy(real, {
    get(target, name, receiver) {
      if (typeof name !== 'string' || !name.startsWith('Cfn') || loaded(name)) {
        return Reflect.get(target, name, receiver);
      }
      if (!standIns.has(name)) standIns.set(name, standIn(name));
      return standIns.get(name);
    },
  });
}
