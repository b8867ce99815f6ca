import {
  fullDiff,
  ResourceImpact,
  type ResourceDifference,
  type TemplateDiff,
} from '@aws-cdk/cloudformation-diff';
import type { ResourceFactTable } from '../infra/resource-facts.js';
import { namer, type TemplateLike } from './template-names.js';

/**
 * The change-hazard check: for a change between two synths (the deployed templates and the new
 * ones), every resource CloudFormation would replace, and why (the properties whose update
 * behaviour, in the CloudFormation resource specification, is replacement); and what of it
 * CloudFormation cannot do, or does at the cost of data:
 *
 * - `refuse`: CloudFormation would fail half-way. It creates a replacement (or a resource under a
 *   new logical id) before it deletes the old one, so a new resource that takes what an old one
 *   holds collides: a listener on the same load balancer port (DuplicateListener), a listener rule
 *   at the same priority, a resource with the same physical name ("cannot update a stack when a
 *   custom-named resource requires replacing"); and a stack cannot drop an export another deployed
 *   stack imports.
 * - `warn`: a stateful resource (RDS, DocumentDB, ElastiCache, DynamoDB, S3, EFS, an image
 *   repository...) replaced or removed: its data is lost, or only a snapshot or a detached copy
 *   is kept.
 *
 * Pure: templates in, findings out (unit-tested on synthesized templates); `diff` prints them and
 * `deploy` refuses on `refuse` and asks on `warn`.
 */

export type HazardSeverity = 'refuse' | 'warn';

export interface ChangeHazard {
  severity: HazardSeverity;
  stack: string;
  logicalId: string;
  /** Construct path, when the template's metadata has it. */
  resource: string;
  type: string;
  reason: string;
}

export interface Replacement {
  stack: string;
  logicalId: string;
  resource: string;
  type: string;
  /** The properties whose change replaces it. */
  because: string[];
  /** False when CloudFormation decides at deploy time (a property that may replace). */
  certain: boolean;
}

export interface HazardReport {
  replacements: Replacement[];
  hazards: ChangeHazard[];
}

interface Resource {
  Type?: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Metadata?: Record<string, unknown>;
}
export interface HazardTemplate {
  Resources?: Record<string, Resource>;
  Outputs?: Record<string, { Value?: unknown; Export?: { Name?: unknown } }>;
}

export interface StackChange {
  stack: string;
  /** What is deployed; undefined for a stack that does not exist yet. */
  old?: HazardTemplate;
  /** What would be deployed; undefined for a stack that goes. */
  new?: HazardTemplate;
}

export interface HazardOptions {
  facts: ResourceFactTable;
  /** Values of pseudo parameters, so `${AWS::AccountId}` and the literal account compare equal. */
  pseudo?: { account?: string; region?: string; partition?: string };
}

/** Kept besides what the specification marks stateful: image repositories hold the release history. */
const ALSO_STATEFUL = new Set(['AWS::ECR::Repository']);

/** What a new resource may take from an old one while both exist, besides physical names. */
const SLOTS: Record<string, (p: Record<string, unknown>) => unknown[] | undefined> = {
  'AWS::ElasticLoadBalancingV2::Listener': (p) => [p.LoadBalancerArn, p.Port],
  'AWS::ElasticLoadBalancingV2::ListenerRule': (p) => [p.ListenerArn, p.Priority],
};

const SLOT_WHAT: Record<string, string> = {
  'AWS::ElasticLoadBalancingV2::Listener': 'the same load balancer port',
  'AWS::ElasticLoadBalancingV2::ListenerRule': 'the same listener priority',
};

/** Findings for a set of stack changes (in deployment order). */
export function changeHazards(given: StackChange[], options: HazardOptions): HazardReport {
  // Pseudo parameters resolved first: a name written `${AWS::AccountId}` in the deployed template
  // and literally in the new one is the same name, and CloudFormation does not replace for it.
  const changes = given.map((c) => ({
    ...c,
    old: c.old && withPseudo(c.old, options.pseudo),
    new: c.new && withPseudo(c.new, options.pseudo),
  }));
  const exportsByName = exportIndex(changes);
  const diffs = changes.map((c) => ({ ...c, diff: fullDiff(c.old ?? {}, c.new ?? {}) as TemplateDiff }));
  const replaced = new Map(diffs.map((d) => [d.stack, replacedIds(d.diff)]));
  const normalize = (stack: string, side: 'old' | 'new', value: unknown) =>
    normalized(value, { stack, side, replaced: replaced.get(stack)!, exportsByName, pseudo: options.pseudo });
  const report: HazardReport = { replacements: [], hazards: [] };
  const created: Slot[] = [];
  const deleted: Slot[] = [];
  for (const [order, d] of diffs.entries()) {
    const name = namer(d.new as TemplateLike, d.old as TemplateLike);
    d.diff.resources.forEachDifference((id, c) => {
      const type = c.newResourceType ?? c.oldResourceType ?? '?';
      if (type === 'AWS::CDK::Metadata') return;
      const base = { stack: d.stack, logicalId: id, resource: name(id), type };
      const isReplaced = replaced.get(d.stack)!.has(id);
      if (isReplaced) report.replacements.push({ ...base, ...replacementCause(c) });
      const oldR = d.old?.Resources?.[id];
      const newR = d.new?.Resources?.[id];
      const where = { ...base, order };
      if (oldR && (c.isRemoval || isReplaced))
        deleted.push(...slots(where, oldR, 'old', normalize, options.facts));
      if (newR && (c.isAddition || isReplaced))
        created.push(...slots(where, newR, 'new', normalize, options.facts));
      const stateful = options.facts[type]?.stateful || ALSO_STATEFUL.has(type);
      if (stateful && oldR && (c.isRemoval || isReplaced))
        report.hazards.push({ ...base, severity: 'warn', reason: dataFate(oldR, isReplaced) });
    });
  }
  report.hazards.unshift(...collisions(created, deleted), ...exportsInUse(changes));
  return report;
}

interface Slot {
  /** Position of the stack in deployment order. */
  order: number;
  stack: string;
  logicalId: string;
  resource: string;
  type: string;
  key: string;
  what: string;
}

function slots(
  base: Omit<Slot, 'key' | 'what'>,
  r: Resource,
  side: 'old' | 'new',
  normalize: (stack: string, side: 'old' | 'new', value: unknown) => string,
  facts: ResourceFactTable,
): Slot[] {
  const p = r.Properties ?? {};
  const out: Slot[] = [];
  for (const property of facts[base.type]?.names ?? []) {
    if (p[property] === undefined) continue;
    const scope = base.type === 'AWS::ECS::Service' ? normalize(base.stack, side, p.Cluster) : '';
    const value = normalize(base.stack, side, p[property]);
    out.push({ ...base, key: `${base.type}|${property}|${scope}|${value}`, what: `the name ${value}` });
  }
  const slot = SLOTS[base.type]?.(p);
  if (slot) {
    const key = `${base.type}|${slot.map((v) => normalize(base.stack, side, v)).join('|')}`;
    out.push({ ...base, key, what: SLOT_WHAT[base.type]! });
  }
  return out;
}

/** New resources that take what an old one holds while both exist (CloudFormation creates first). */
function collisions(created: Slot[], deleted: Slot[]): ChangeHazard[] {
  const out: ChangeHazard[] = [];
  for (const n of created) {
    // The old one goes in its stack's cleanup: before a stack deployed later creates the new one.
    const o = deleted.find((x) => x.key === n.key && x.order >= n.order);
    if (!o) continue;
    const same = o.stack === n.stack && o.logicalId === n.logicalId;
    out.push({
      severity: 'refuse',
      stack: n.stack,
      logicalId: n.logicalId,
      resource: n.resource,
      type: n.type,
      reason: same
        ? `it would be replaced, and the replacement is created under ${n.what} while the old one still holds it (CloudFormation cannot replace it in place)`
        : `it is created under ${n.what} that ${o.resource} (${o.stack}), which goes, still holds: CloudFormation creates before it deletes, so the deploy would fail`,
    });
  }
  return out;
}

/** Exports a stack drops while another deployed stack still imports them. */
function exportsInUse(changes: StackChange[]): ChangeHazard[] {
  const out: ChangeHazard[] = [];
  for (const c of changes) {
    const kept = new Set(exportNames(c.new));
    for (const [outputId, name] of Object.entries(exportNamesById(c.old))) {
      if (kept.has(name)) continue;
      const importers = changes.filter((o) => o.stack !== c.stack && imports(o.old).has(name));
      if (importers.length === 0) continue;
      out.push({
        severity: 'refuse',
        stack: c.stack,
        logicalId: outputId,
        resource: `export ${name}`,
        type: 'Export',
        reason: `the export would go while ${importers.map((i) => i.stack).join(', ')} still import${importers.length === 1 ? 's' : ''} it: CloudFormation refuses the update`,
      });
    }
  }
  return out;
}

function replacementCause(c: ResourceDifference): { because: string[]; certain: boolean } {
  if (c.oldResourceType !== c.newResourceType) return { because: ['Type'], certain: true };
  const because: string[] = [];
  let certain = false;
  for (const [property, p] of Object.entries(c.propertyUpdates)) {
    if (p.changeImpact === ResourceImpact.WILL_REPLACE) {
      because.push(property);
      certain = true;
    } else if (p.changeImpact === ResourceImpact.MAY_REPLACE) because.push(property);
  }
  return { because: because.sort(), certain };
}

/** Logical ids the change replaces (a property that replaces, or a changed type). */
function replacedIds(diff: TemplateDiff): Set<string> {
  const out = new Set<string>();
  diff.resources.forEachDifference((id, c) => {
    if (!c.isUpdate) return;
    const impact = c.changeImpact;
    if (
      c.oldResourceType !== c.newResourceType ||
      impact === ResourceImpact.WILL_REPLACE ||
      impact === ResourceImpact.MAY_REPLACE
    )
      out.add(id);
  });
  return out;
}

/** What happens to the data of a stateful resource that is replaced or removed. */
function dataFate(old: Resource, replaced: boolean): string {
  const policy = (replaced ? old.UpdateReplacePolicy : old.DeletionPolicy) ?? 'Delete';
  const what = replaced ? 'it would be replaced by a new, empty one' : 'it would be removed';
  if (policy === 'Retain' || policy === 'RetainExceptOnCreate')
    return `${what}; the old one is kept with its data, detached from the app`;
  if (policy === 'Snapshot') return `${what}; the old one is deleted after a final snapshot`;
  return `${what}; the old one is deleted with its data`;
}

interface NormalizeContext {
  stack: string;
  side: 'old' | 'new';
  replaced: Set<string>;
  exportsByName: Map<string, string>;
  pseudo: HazardOptions['pseudo'];
}

/**
 * A property value as the identity of what it points at: a reference to a resource of the stack
 * becomes `stack/LogicalId` (`#new` when the change replaces that resource, which gets a new
 * physical id), an import the resource the export names, a pseudo parameter its known value.
 */
function normalized(value: unknown, ctx: NormalizeContext): string {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys as [string];
      if (k === 'Ref' && typeof o.Ref === 'string') return pseudoValue(o.Ref, ctx) ?? resourceRef(o.Ref, ctx);
      if (k === 'Fn::GetAtt') {
        const [id, attr] = Array.isArray(o[k]) ? (o[k] as string[]) : String(o[k]).split('.');
        return `${resourceRef(id!, ctx)}.${attr}`;
      }
      if (k === 'Fn::ImportValue' && typeof o[k] === 'string')
        return ctx.exportsByName.get(o[k] as string) ?? `import:${o[k] as string}`;
      if (k === 'Fn::Join' && Array.isArray(o[k])) {
        const [sep, parts] = o[k] as [string, unknown[]];
        const joined = parts.map(walk);
        if (joined.every((p) => typeof p === 'string')) return (joined as string[]).join(sep);
      }
    }
    return Object.fromEntries(keys.sort().map((k) => [k, walk(o[k])]));
  };
  const out = walk(value);
  return typeof out === 'string' ? out : JSON.stringify(out);
}

/** A template with known pseudo parameters written out (and joins of plain strings joined). */
function withPseudo<T>(template: T, pseudo: HazardOptions['pseudo']): T {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string' && Object.keys(o).length === 1) return pseudoValue(o.Ref, { pseudo }) ?? o;
    const out = Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
    const join = out['Fn::Join'];
    if (Object.keys(out).length === 1 && Array.isArray(join)) {
      const [sep, parts] = join as [string, unknown];
      if (Array.isArray(parts) && parts.every((p) => typeof p === 'string')) return parts.join(sep);
    }
    return out;
  };
  return walk(template) as T;
}

function pseudoValue(name: string, ctx: Pick<NormalizeContext, 'pseudo'>): string | undefined {
  const p = ctx.pseudo ?? {};
  return {
    'AWS::AccountId': p.account,
    'AWS::Region': p.region,
    'AWS::Partition': p.partition ?? 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  }[name];
}

function resourceRef(id: string, ctx: NormalizeContext): string {
  return `${ctx.stack}/${id}${ctx.side === 'new' && ctx.replaced.has(id) ? '#new' : ''}`;
}

/** Export name → `stack/LogicalId` of what it exports (a Ref or GetAtt), from every template. */
function exportIndex(changes: StackChange[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of changes) {
    for (const t of [c.old, c.new]) {
      for (const o of Object.values(t?.Outputs ?? {})) {
        const name = o.Export?.Name;
        const v = o.Value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
        const target = v?.Ref ?? v?.['Fn::GetAtt']?.[0];
        if (typeof name === 'string' && target && !out.has(name)) out.set(name, `${c.stack}/${target}`);
      }
    }
  }
  return out;
}

function exportNamesById(t: HazardTemplate | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, o] of Object.entries(t?.Outputs ?? {}))
    if (typeof o.Export?.Name === 'string') out[id] = o.Export.Name;
  return out;
}

const exportNames = (t: HazardTemplate | undefined) => Object.values(exportNamesById(t));

function imports(t: HazardTemplate | undefined): Set<string> {
  const out = new Set<string>();
  for (const m of JSON.stringify(t ?? {}).matchAll(/"Fn::ImportValue":"([^"]+)"/g)) out.add(m[1]!);
  return out;
}
