import { physicalNames, type ResourceFactTable } from './resource-facts.js';

/**
 * Lifecycle rules a set of templates must keep, checked on the templates themselves:
 *
 * - a resource kept on stack deletion (DeletionPolicy Retain or Snapshot) with a physical name
 *   would make the next deploy of the same environment fail ("already exists"), unless that deploy
 *   adopts it: CloudFormation imports an existing named resource (deploy asks for it,
 *   `importExistingResources`) only when the name is a static string, the policy is Retain and
 *   the type supports import;
 * - two environments of one app in one account and region never give the same physical name.
 */

interface Resource {
  Type?: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
}
export interface LifecycleTemplate {
  Resources?: Record<string, Resource>;
}

/** Types CloudFormation imports by name that shipshape keeps: what a re-deploy adopts. */
export const ADOPTABLE_TYPES: ReadonlySet<string> = new Set([
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::ECR::Repository',
  'AWS::Logs::LogGroup',
]);

const KEPT = new Set(['Retain', 'RetainExceptOnCreate', 'Snapshot']);

export interface KeptNameProblem {
  logicalId: string;
  type: string;
  property: string;
  why: string;
}

/** Kept resources whose physical name the next deploy of the environment would collide with. */
export function keptNameProblems(template: LifecycleTemplate, facts: ResourceFactTable): KeptNameProblem[] {
  const out: KeptNameProblem[] = [];
  for (const n of physicalNames(template, facts)) {
    const policy = template.Resources?.[n.logicalId]?.DeletionPolicy;
    if (!policy || !KEPT.has(policy)) continue;
    const why =
      policy === 'Snapshot'
        ? 'a database deleted after its final snapshot must not have a fixed name (the next deploy creates a new one)'
        : typeof n.value !== 'string'
          ? 'its name is computed (CloudFormation adopts only static names)'
          : !ADOPTABLE_TYPES.has(n.type)
            ? `${n.type} is not adopted by name`
            : undefined;
    if (why) out.push({ logicalId: n.logicalId, type: n.type, property: n.property, why });
  }
  return out;
}

/** Names unique only inside a parent resource: an ECS service name within its cluster. */
const SCOPED_BY: Record<string, string> = {
  'AWS::ECS::Service': 'Cluster',
  'AWS::EC2::SecurityGroup': 'VpcId',
};

/** Whether a value refers to a resource of the template (so it is unique to the stack). */
function refersToStack(value: unknown, template: LifecycleTemplate): boolean {
  const json = JSON.stringify(value ?? null);
  for (const m of json.matchAll(/"(?:Ref|Fn::GetAtt)":\s*(?:\["|")([A-Za-z0-9]+)/g))
    if (template.Resources?.[m[1]!]) return true;
  return false;
}

export interface SharedName {
  type: string;
  property: string;
  value: unknown;
  /** `environment: logical id`, for each environment that gives the name. */
  where: string[];
}

/**
 * Physical names given by more than one environment's templates (`templates`: environment →
 * its stacks' templates). A name that refers to a resource of its own stack, or that is unique
 * only within such a resource (ECS services in their cluster), cannot be shared.
 */
export function sharedNames(
  templates: Record<string, LifecycleTemplate[]>,
  facts: ResourceFactTable,
): SharedName[] {
  const seen = new Map<string, SharedName & { environments: Set<string> }>();
  for (const [environment, list] of Object.entries(templates)) {
    for (const template of list) {
      for (const n of physicalNames(template, facts)) {
        const scope = SCOPED_BY[n.type];
        const scopeValue = scope ? template.Resources?.[n.logicalId]?.Properties?.[scope] : undefined;
        if (refersToStack(n.value, template) || (scope && refersToStack(scopeValue, template))) continue;
        const key = JSON.stringify([n.type, n.property, n.value, scopeValue ?? null]);
        const entry = seen.get(key) ?? { ...n, where: [], environments: new Set<string>() };
        entry.where.push(`${environment}: ${n.logicalId}`);
        entry.environments.add(environment);
        seen.set(key, entry);
      }
    }
  }
  return [...seen.values()]
    .filter((e) => e.environments.size > 1)
    .map(({ type, property, value, where }) => ({ type, property, value, where }));
}
