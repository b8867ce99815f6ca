import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ComposeApp, type ComposeAppProps } from '../../../src/infra/compose-app.js';
import { loadApp } from '../../../src/model/load.js';
import { assertCloudReady } from '../../../src/model/gate.js';
import type { AppModel } from '../../../src/model/types.js';

export const example = (name: string) =>
  new URL(`../../../examples/${name}/compose.yaml`, import.meta.url).pathname;
export const fixture = (name: string) =>
  new URL(`../../fixtures/infra/${name}/compose.yaml`, import.meta.url).pathname;

/** A ComposeApp in a plain stack, the way a user's own CDK app would use it. */
export function composeStack(
  props: Omit<ComposeAppProps, 'app'> & ({ app: AppModel } | { compose: string }),
): {
  stack: Stack;
  composeApp: ComposeApp;
  template: Template;
} {
  const app = new App({ analyticsReporting: false });
  const stack = new Stack(app, 'Test', { env: { region: 'us-east-1' } });
  const model = 'app' in props ? props.app : loadApp([props.compose]);
  const composeApp = new ComposeApp(stack, 'App', { ...props, app: assertCloudReady(model) });
  return { stack, composeApp, template: Template.fromStack(stack) };
}

/** Load a compose file; `mutate` edits a copy (the loaded model itself is frozen). */
export function load(file: string, mutate?: (app: AppModel) => void): AppModel {
  const app = loadApp([file]);
  if (!mutate) return app;
  const copy = structuredClone(app);
  mutate(copy);
  return copy;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** `{ 'Fn::GetAtt': [id, 'GroupId'] }` → id */
export function refId(value: unknown): string | undefined {
  const v = value as { 'Fn::GetAtt'?: [string, string]; Ref?: string } | undefined;
  return v?.['Fn::GetAtt']?.[0] ?? v?.Ref;
}

/** Logical id of the security group whose construct path contains `needle`. */
export function groupId(template: Template, needle: string): string {
  const resources = template.toJSON().Resources as Resources;
  const ids = Object.keys(resources).filter(
    (id) => resources[id]!.Type === 'AWS::EC2::SecurityGroup' && id.includes(needle),
  );
  if (ids.length !== 1)
    throw new Error(`expected one security group matching ${needle}, got ${ids.join(', ')}`);
  return ids[0]!;
}

export interface Rule {
  direction: 'ingress' | 'egress';
  group: string;
  peerGroup?: string;
  cidr?: string;
  fromPort: number;
  toPort: number;
}

/** Every security group rule in a template, inline or standalone, normalized. */
export function allRules(template: Template): Rule[] {
  const resources = template.toJSON().Resources as Resources;
  const rules: Rule[] = [];
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::EC2::SecurityGroup') {
      for (const x of (p.SecurityGroupIngress as Array<Record<string, unknown>>) ?? []) {
        rules.push({
          direction: 'ingress',
          group: id,
          peerGroup: refId(x.SourceSecurityGroupId),
          cidr: x.CidrIp as string,
          fromPort: x.FromPort as number,
          toPort: x.ToPort as number,
        });
      }
      for (const x of (p.SecurityGroupEgress as Array<Record<string, unknown>>) ?? []) {
        rules.push({
          direction: 'egress',
          group: id,
          peerGroup: refId(x.DestinationSecurityGroupId),
          cidr: x.CidrIp as string,
          fromPort: x.FromPort as number,
          toPort: x.ToPort as number,
        });
      }
    }
    if (r.Type === 'AWS::EC2::SecurityGroupIngress') {
      rules.push({
        direction: 'ingress',
        group: refId(p.GroupId)!,
        peerGroup: refId(p.SourceSecurityGroupId),
        cidr: p.CidrIp as string,
        fromPort: p.FromPort as number,
        toPort: p.ToPort as number,
      });
    }
    if (r.Type === 'AWS::EC2::SecurityGroupEgress') {
      rules.push({
        direction: 'egress',
        group: refId(p.GroupId)!,
        peerGroup: refId(p.DestinationSecurityGroupId),
        cidr: p.CidrIp as string,
        fromPort: p.FromPort as number,
        toPort: p.ToPort as number,
      });
    }
  }
  return rules.map(
    (r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as unknown as Rule,
  );
}
