import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { CostEstimate } from '../../infra/cost.js';
import { synthesize, type SynthOptions, type SynthStack } from '../../infra/synth.js';
import type { AppModel } from '../../model/types.js';
import { onCleanup } from '../../support/cleanup.js';
import type { CheckSeverity, Finding, RuleDefinition } from '../findings.js';
import { gateFindings } from '../../model/gate.js';

/**
 * Cloud rules: the cdk-nag AwsSolutions findings of the templates `synth` would write — open
 * ones, and the ones shipshape acknowledges in code (reported as suppressed, with the reason).
 * Each is located in the generated template by the logical id of the resource, at the path
 * `shipshape synth` writes it to (`cdk.out/<stack>.template.yaml`). Synthesis happens in a temporary
 * directory that is always removed: `check` writes nothing.
 */
export interface CloudCheck {
  findings: Finding[];
  /** Rule definitions for the SS-CLOUD ids that occur (text from cdk-nag). */
  rules: RuleDefinition[];
  cost: CostEstimate;
  stacks: { name: string; resources: number }[];
}

export interface CloudOptions {
  /** The directory `shipshape synth` writes to, which locations point into. Default `cdk.out`. */
  templateDir?: string;
  onProgress?: (message: string) => void;
  /** Add constructs before synthesis (as `synthesize` allows); they are checked too. Default none. */
  customize?: SynthOptions['customize'];
}

/** Why the cloud rules cannot run for `app`, or undefined when they can. */
export function cloudBlocked(app: AppModel): string | undefined {
  const open = gateFindings(app).filter((f) => f.kind === 'refusal' || !f.acknowledged);
  if (open.length === 0) return undefined;
  return `${open.length} compose finding(s) keep the app out of the cloud (${[...new Set(open.map((f) => f.rule))].join(', ')}); fix or acknowledge them to check the templates`;
}

/** `AwsSolutions-IAM5[Resource::*]` → `SS-CLOUD-IAM5`. */
export function cloudRuleId(nagRule: string): string {
  return `SS-CLOUD-${nagRule.replace(/^AwsSolutions-/, '').replace(/\[.*$/, '')}`;
}

export async function cloudFindings(app: AppModel, options: CloudOptions = {}): Promise<CloudCheck> {
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-check-'));
  const unregister = onCleanup(`remove ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  try {
    const result = await synthesize(app, {
      outdir: join(dir, 'cdk.out'),
      verifyTags: false,
      failOnNag: false,
      onProgress: options.onProgress,
      customize: options.customize,
    });
    const templateDir = resolve(options.templateDir ?? 'cdk.out');
    const locator = new TemplateLocator(result.stacks, templateDir);
    const findings: Finding[] = [];
    const rules = new Map<string, RuleDefinition>();
    const addRule = (nagRule: string, severity: CheckSeverity, text: string) => {
      const id = cloudRuleId(nagRule);
      if (!rules.has(id) || (rules.get(id)!.title === id && text))
        rules.set(id, {
          id,
          family: 'cloud',
          name: nagRule.replace(/\[.*$/, ''),
          severity,
          title: text || id,
          why: `cdk-nag ${nagRule.replace(/\[.*$/, '')}: ${text || 'see the cdk-nag AwsSolutions rules'}`,
          fix: 'fix the resource, or acknowledge the rule in code with Validations.of(construct).acknowledge({ id, reason })',
        });
      return id;
    };
    for (const f of result.nag?.findings ?? []) {
      const severity: CheckSeverity = /warn/i.test(f.severity) ? 'medium' : 'high';
      const id = addRule(f.rule, severity, f.description);
      for (const path of f.resources.length ? f.resources : ['']) {
        findings.push({
          ruleId: id,
          severity,
          service: serviceOf(app, path),
          message: `${f.rule}: ${f.description}${path ? ` (${path})` : ''}`,
          fix: rules.get(id)!.fix,
          ...locator.locate(path),
        });
      }
    }
    for (const a of result.nag?.acknowledged ?? []) {
      const id = addRule(a.rule, 'medium', '');
      findings.push({
        ruleId: id,
        severity: 'medium',
        service: serviceOf(app, a.path),
        message: `${a.rule} acknowledged on ${a.path}`,
        fix: rules.get(id)!.fix,
        ...locator.locate(a.path),
        suppressed: { reason: a.reason },
      });
    }
    return {
      findings,
      rules: [...rules.values()],
      cost: result.cost,
      stacks: result.stacks.map((s) => ({ name: s.name, resources: s.resources })),
    };
  } finally {
    unregister();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The service a construct path belongs to (`Shared/App/api/Service/Task` → `api`). */
function serviceOf(app: AppModel, path: string): string | undefined {
  const parts = path.replace(/^\//, '').split('/');
  return app.services.find((s) => parts.includes(s.name) || parts[0] === `Service-${s.name}`)?.name;
}

/**
 * Construct path → the template resource that realizes it, located at its logical id's line in
 * the YAML synth writes. The assembly's metadata files map construct paths to logical ids.
 */
class TemplateLocator {
  private readonly ids = new Map<string, { logicalId: string; stack: SynthStack }>();
  private readonly lines = new Map<SynthStack, Map<string, number>>();

  constructor(
    private readonly stacks: SynthStack[],
    private readonly templateDir: string,
  ) {
    for (const stack of stacks) {
      const meta = stack.templateFile.replace(/\.template\.json$/, '.metadata.json');
      if (existsSync(meta)) {
        const entries = JSON.parse(readFileSync(meta, 'utf8')) as Record<
          string,
          { type: string; data: unknown }[]
        >;
        for (const [path, list] of Object.entries(entries)) {
          const id = list.find((m) => m.type === 'aws:cdk:logicalId')?.data;
          if (typeof id === 'string') this.ids.set(path.replace(/^\//, ''), { logicalId: id, stack });
        }
      }
      const lines = new Map<string, number>();
      readFileSync(stack.yamlFile, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const m = /^ {2}([A-Za-z0-9]+):\s*$/.exec(line);
          if (m && !lines.has(m[1]!)) lines.set(m[1]!, i + 1);
        });
      this.lines.set(stack, lines);
    }
  }

  locate(constructPath: string): Pick<Finding, 'location' | 'path'> {
    const path = constructPath.replace(/^\//, '');
    const hit =
      this.ids.get(path) ??
      this.ids.get(`${path}/Resource`) ??
      [...this.ids.entries()].find(([p]) => p.startsWith(`${path}/`))?.[1] ??
      [...this.ids.values()].find((v) => v.logicalId === path);
    const stack = hit?.stack ?? this.stacks[0]!;
    const file = join(this.templateDir, basename(stack.yamlFile));
    const line = hit ? (this.lines.get(stack)?.get(hit.logicalId) ?? 1) : 1;
    return { location: { file, line, column: hit ? 3 : 1 }, path: hit ? `Resources.${hit.logicalId}` : path };
  }
}
