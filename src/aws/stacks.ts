import { ExitCode, ShipshapeError } from '../model/errors.js';
import { clientConfig, credentialsError, followHint } from './config.js';

/** CloudFormation look-ups deploy, diff and destroy share (SDK loaded on first use). */

type Cfn = import('@aws-sdk/client-cloudformation').CloudFormationClient;

let client: { region: string; cfn: Cfn } | undefined;
async function cfn(region: string): Promise<Cfn> {
  if (client?.region === region) return client.cfn;
  const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
  client = { region, cfn: new CloudFormationClient(clientConfig(region)) };
  return client.cfn;
}

/** A stack's status, or undefined when it does not exist. */
export async function stackStatus(region: string, stackName: string): Promise<string | undefined> {
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  try {
    const res = await (await cfn(region)).send(new DescribeStacksCommand({ StackName: stackName }));
    const status = res.Stacks?.[0]?.StackStatus;
    return status === 'DELETE_COMPLETE' ? undefined : status;
  } catch (e) {
    if (/does not exist/i.test((e as Error).message)) return undefined;
    throw credentialsError(e, region) ?? e;
  }
}

export interface StackResource {
  logicalId: string;
  physicalId?: string;
  type: string;
  status?: string;
}

export async function stackResources(region: string, stackName: string): Promise<StackResource[]> {
  const { paginateListStackResources } = await import('@aws-sdk/client-cloudformation');
  const out: StackResource[] = [];
  for await (const page of paginateListStackResources(
    { client: await cfn(region) },
    { StackName: stackName },
  )) {
    for (const r of page.StackResourceSummaries ?? []) {
      out.push({
        logicalId: r.LogicalResourceId!,
        physicalId: r.PhysicalResourceId,
        type: r.ResourceType!,
        status: r.ResourceStatus,
      });
    }
  }
  return out;
}

/** The template CloudFormation holds for a deployed stack. */
export async function deployedTemplate(region: string, stackName: string): Promise<Record<string, unknown>> {
  const { GetTemplateCommand } = await import('@aws-sdk/client-cloudformation');
  const res = await (await cfn(region)).send(new GetTemplateCommand({ StackName: stackName }));
  const body = res.TemplateBody ?? '{}';
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    const { parse } = await import('yaml');
    return parse(body) as Record<string, unknown>;
  }
}

/**
 * Refuse to start on a stack CloudFormation cannot update now, with the fix. A first create that
 * failed (ROLLBACK_COMPLETE) is fine: the toolkit deletes and re-creates it.
 */
export function assertDeployable(stackName: string, status: string | undefined, region: string): void {
  if (!status) return;
  if (/_IN_PROGRESS$/.test(status)) {
    throw new ShipshapeError(`stack ${stackName} is busy (${status}): another operation is running`, {
      exitCode: ExitCode.failure,
      hint: `wait for it to finish (${followHint(stackName, region)}), then run the command again`,
    });
  }
  if (status === 'UPDATE_ROLLBACK_FAILED') {
    throw new ShipshapeError(`stack ${stackName} is stuck in UPDATE_ROLLBACK_FAILED`, {
      exitCode: ExitCode.failure,
      hint: `fix what blocked the rollback (see ${followHint(stackName, region)}), then run aws cloudformation continue-update-rollback --stack-name ${stackName} --region ${region}`,
    });
  }
  if (status === 'DELETE_FAILED') {
    throw new ShipshapeError(`stack ${stackName} failed to delete (DELETE_FAILED)`, {
      exitCode: ExitCode.failure,
      hint: `see why (${followHint(stackName, region)}), remove what blocks it, then run shipshape destroy again`,
    });
  }
}

/** The CDK bootstrap stack's status in the target region (CDKToolkit), undefined when absent. */
export function bootstrapStatus(region: string): Promise<string | undefined> {
  return stackStatus(region, 'CDKToolkit');
}

/** The parameter values a stack was deployed with (none when it does not exist). */
export async function deployedParameters(region: string, stackName: string): Promise<Record<string, string>> {
  const { DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  try {
    const res = await (await cfn(region)).send(new DescribeStacksCommand({ StackName: stackName }));
    return Object.fromEntries(
      (res.Stacks?.[0]?.Parameters ?? []).map((p) => [p.ParameterKey!, p.ParameterValue ?? '']),
    );
  } catch (e) {
    if (/does not exist/i.test((e as Error).message)) return {};
    throw credentialsError(e, region) ?? e;
  }
}
