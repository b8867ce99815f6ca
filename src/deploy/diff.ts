import type { ResourceDifference, TemplateDiff } from '@aws-cdk/cloudformation-diff';
import type { ChangeHazard, Replacement } from './hazards.js';
import { namer, type TemplateLike } from './template-names.js';

/**
 * What a deploy would change, security first: security-group rules opened or closed, what becomes
 * reachable (or unreachable) from the internet, IAM statements and managed policies added or
 * removed; then every other resource change. Pure: it reads the toolkit's TemplateDiff (from
 * @aws-cdk/cloudformation-diff, which already parses rules and policies) and the new templates
 * (for resource names), so it is unit-tested with `fullDiff` on hand-made templates.
 */

export type SecurityKind =
  | 'opened' // a security-group rule now admits (or lets out) more
  | 'closed'
  | 'internet-reachable' // something becomes reachable from the internet
  | 'internet-unreachable'
  | 'iam-added'
  | 'iam-removed'
  | 'protection-removed' // WAF association removed
  | 'protection-added';

export interface SecurityChange {
  stack: string;
  kind: SecurityKind;
  text: string;
}

export interface ResourceChange {
  stack: string;
  logicalId: string;
  /** Construct path (friendly name) when the template's metadata has it. */
  resource: string;
  type: string;
  action: 'add' | 'remove' | 'update' | 'replace';
  /** Top-level properties that change (for updates). */
  properties: string[];
}

export interface DiffReport {
  security: SecurityChange[];
  resources: ResourceChange[];
  /** Resources the change replaces, and why (the change-hazard check, hazards.ts). */
  replacements: Replacement[];
  /** What CloudFormation cannot do in place (`refuse`), or does at the cost of data (`warn`). */
  hazards: ChangeHazard[];
  /** Stacks whose templates differ. */
  stacksChanged: string[];
  hasChanges: boolean;
}

const INTERNET_CIDRS = new Set(['0.0.0.0/0', '::/0']);

/** `${AppapiSecurityGroup1234.GroupId}` → the group's friendly name. */
function refName(value: string | undefined, name: (id: string) => string): string {
  if (!value) return '?';
  const m = /^\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}$/.exec(value);
  return m ? name(m[1]!) : value;
}

function portText(rule: { ipProtocol: string; fromPort?: number; toPort?: number }): string {
  const proto = rule.ipProtocol === '-1' ? 'all traffic' : rule.ipProtocol;
  if (rule.fromPort === undefined || rule.ipProtocol === '-1') return proto;
  return rule.fromPort === rule.toPort
    ? `${proto} ${rule.fromPort}`
    : `${proto} ${rule.fromPort}-${rule.toPort}`;
}

type RuleJson = ReturnType<TemplateDiff['securityGroupChanges']['toJson']>['ingressRuleAdditions'] & object;

function ruleChanges(
  stack: string,
  rules: RuleJson | undefined,
  direction: 'ingress' | 'egress',
  added: boolean,
  name: (id: string) => string,
): SecurityChange[] {
  return (rules ?? []).map((r) => {
    const group = refName(r.groupId, name);
    const peer = r.peer;
    const peerText =
      peer?.kind === 'cidr-ip'
        ? INTERNET_CIDRS.has(peer.ip)
          ? 'the internet'
          : peer.ip
        : peer?.kind === 'security-group'
          ? `group ${refName(peer.securityGroupId, name)}`
          : peer?.kind === 'prefix-list'
            ? `prefix list ${peer.prefixListId}`
            : 'anyone';
    const internet = peer?.kind === 'cidr-ip' && INTERNET_CIDRS.has(peer.ip) && direction === 'ingress';
    const verb =
      direction === 'ingress'
        ? added
          ? 'now admits'
          : 'no longer admits'
        : added
          ? 'may now reach'
          : 'may no longer reach';
    const text =
      direction === 'ingress'
        ? `group ${group} ${verb} ${peerText} on ${portText(r)}`
        : `group ${group} ${verb} ${peerText} on ${portText(r)}`;
    const kind: SecurityKind = internet
      ? added
        ? 'internet-reachable'
        : 'internet-unreachable'
      : added
        ? 'opened'
        : 'closed';
    return { stack, kind, text };
  });
}

function targets(t: { not: boolean; values: string[] } | undefined): string {
  if (!t) return '';
  return `${t.not ? 'NOT ' : ''}${t.values.join(', ')}`;
}

function iamChanges(stack: string, diff: TemplateDiff, name: (id: string) => string): SecurityChange[] {
  const out: SecurityChange[] = [];
  const rename = (s: string) =>
    s.replace(/\$\{([A-Za-z0-9]+)(\.[A-Za-z]+)?\}/g, (_m, id: string) => name(id));
  const iam = diff.iamChanges;
  for (const [list, added] of [
    [iam.statements.additions, true],
    [iam.statements.removals, false],
  ] as const) {
    for (const st of list) {
      const text =
        `${st.effect} ${targets(st.actions)} on ${rename(targets(st.resources))}` +
        (st.principals.values.length ? ` for ${rename(targets(st.principals))}` : '') +
        (st.condition ? ' (with a condition)' : '');
      out.push({
        stack,
        kind: added ? 'iam-added' : 'iam-removed',
        text: `${added ? 'grants' : 'revokes'} ${text}`,
      });
    }
  }
  for (const [list, added] of [
    [iam.managedPolicies.additions, true],
    [iam.managedPolicies.removals, false],
  ] as const) {
    for (const p of list) {
      out.push({
        stack,
        kind: added ? 'iam-added' : 'iam-removed',
        text: `${added ? 'attaches' : 'detaches'} managed policy ${rename(p.managedPolicyArn)} to ${rename(p.identityArn)}`,
      });
    }
  }
  return out;
}

/** Load balancer listeners, listener rules and WAF associations that appear or go. */
function exposureChanges(stack: string, diff: TemplateDiff, name: (id: string) => string): SecurityChange[] {
  const out: SecurityChange[] = [];
  diff.resources.forEachDifference((id, change) => {
    if (!change.isAddition && !change.isRemoval) return;
    const added = change.isAddition;
    const props = (added ? change.newValue : change.oldValue)?.Properties ?? {};
    switch (change.resourceType) {
      case 'AWS::ElasticLoadBalancingV2::Listener':
        out.push({
          stack,
          kind: added ? 'internet-reachable' : 'internet-unreachable',
          text: `load balancer listener ${props.Protocol ?? ''} ${props.Port ?? ''} (${name(id)}) ${added ? 'opens' : 'closes'}`.replace(
            /\s+/g,
            ' ',
          ),
        });
        break;
      case 'AWS::ElasticLoadBalancingV2::ListenerRule':
        out.push({
          stack,
          kind: added ? 'internet-reachable' : 'internet-unreachable',
          text: `${routeTarget(name(id))} ${added ? 'becomes reachable from the internet' : 'is no longer reachable from the internet'} through the load balancer (${conditionText(props.Conditions)})`,
        });
        break;
      case 'AWS::WAFv2::WebACLAssociation':
        out.push({
          stack,
          kind: added ? 'protection-added' : 'protection-removed',
          text: `AWS WAF ${added ? 'now protects' : 'no longer protects'} the load balancer`,
        });
        break;
    }
  });
  return out;
}

/** `App/api/ListenerRule` → `api`. */
function routeTarget(path: string): string {
  const parts = path.split('/');
  return parts.length >= 2 ? `service ${parts[parts.length - 2]}` : path;
}

function conditionText(conditions: unknown): string {
  const list = Array.isArray(conditions) ? (conditions as Array<Record<string, unknown>>) : [];
  return (
    list
      .map((c) => {
        const host = (c.HostHeaderConfig as { Values?: string[] } | undefined)?.Values;
        const path = (c.PathPatternConfig as { Values?: string[] } | undefined)?.Values;
        return host ? `host ${host.join(', ')}` : path ? `path ${path.join(', ')}` : String(c.Field ?? '');
      })
      .join('; ') || 'any request'
  );
}

function resourceChange(
  stack: string,
  id: string,
  c: ResourceDifference,
  name: (id: string) => string,
): ResourceChange {
  const replace = /REPLACE/.test(String(c.changeImpact ?? ''));
  return {
    stack,
    logicalId: id,
    resource: name(id),
    type: c.resourceType ?? '?',
    action: c.isAddition ? 'add' : c.isRemoval ? 'remove' : replace ? 'replace' : 'update',
    properties: c.isUpdate ? Object.keys(c.propertyUpdates).sort() : [],
  };
}

/** The report for a set of stack diffs; `templates` are the new templates by stack name. */
export function classifyDiff(
  diffs: Record<string, TemplateDiff>,
  templates: Record<string, TemplateLike | undefined> = {},
): DiffReport {
  const report: DiffReport = {
    security: [],
    resources: [],
    replacements: [],
    hazards: [],
    stacksChanged: [],
    hasChanges: false,
  };
  for (const [key, diff] of Object.entries(diffs)) {
    // The toolkit names diffs `<construct path> (<stack name>)` when the two differ.
    const stack = /\(([^()]+)\)$/.exec(key)?.[1] ?? key;
    // Removed resources are named from the deployed template's metadata.
    const old: NonNullable<TemplateLike['Resources']> = {};
    diff.resources.forEachDifference((id, c) => {
      if (c.oldValue) old[id] = c.oldValue;
    });
    const name = namer(templates[stack], { Resources: old });
    const sg = diff.securityGroupChanges.toJson();
    report.security.push(
      ...exposureChanges(stack, diff, name),
      ...ruleChanges(stack, sg.ingressRuleAdditions, 'ingress', true, name),
      ...ruleChanges(stack, sg.ingressRuleRemovals, 'ingress', false, name),
      ...ruleChanges(stack, sg.egressRuleAdditions, 'egress', true, name),
      ...ruleChanges(stack, sg.egressRuleRemovals, 'egress', false, name),
      ...iamChanges(stack, diff, name),
    );
    diff.resources.forEachDifference((id, c) => {
      if (c.resourceType === 'AWS::CDK::Metadata') return;
      report.resources.push(resourceChange(stack, id, c, name));
    });
    if (!diff.isEmpty) report.stacksChanged.push(stack);
  }
  report.hasChanges = report.stacksChanged.length > 0;
  return report;
}

/** Security changes that weaken: what a reviewer must look at before a deploy goes ahead. */
export function weakening(report: DiffReport): SecurityChange[] {
  return report.security.filter((s) =>
    ['opened', 'internet-reachable', 'iam-added', 'protection-removed'].includes(s.kind),
  );
}
