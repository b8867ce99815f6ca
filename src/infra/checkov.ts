import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledge a checkov check on a resource, with the reason, where the decision is made.
 * checkov reads `Metadata.checkov.skip` of a CloudFormation resource and reports the check as
 * skipped with this comment; docs/deploy.md lists every acknowledgement (a test keeps it in step).
 */
export function acknowledgeCheckov(construct: IConstruct, id: string, reason: string): void {
  const cfn = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  if (!cfn || !CfnResource.isCfnResource(cfn)) {
    throw new Error(`acknowledgeCheckov(${id}): ${construct.node.path} has no CloudFormation resource`);
  }
  const existing = (cfn.getMetadata('checkov') as { skip?: Array<{ id: string; comment: string }> }) ?? {};
  const skip = (existing.skip ?? []).filter((s) => s.id !== id);
  skip.push({ id, comment: reason });
  cfn.addMetadata('checkov', { ...existing, skip });
}
