import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientConfig, credentialsError, followHint, resolveTarget } from '../aws/config.js';
import { DeployIoHost } from '../deploy/io-host.js';
import { assertDeployable, stackStatus } from '../aws/stacks.js';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import { onCleanup } from '../support/cleanup.js';
import type { CiPlan } from './plan.js';
import { OIDC_HOST } from './role-template.js';

/**
 * `shipshape ci github --create-role`: deploy the role template with the CDK toolkit, as the
 * caller (an administrator, once per account). The template is the file `ci github` writes,
 * included as it is (cloudformation-include) in a stack that needs no CDK bootstrap: it has no
 * assets, and the roles it makes are what lets CI use the bootstrap roles in the first place.
 */

export interface CreateRoleResult {
  stack: string;
  account: string;
  region: string;
  /** Whether the stack creates the account's GitHub OIDC provider or refers to the existing one. */
  oidcProvider: { arn?: string; created: boolean };
  deployRoleArn: string;
  diffRoleArn: string;
}

type Iam = import('@aws-sdk/client-iam').IAMClient;

/** The account's GitHub OIDC provider, if it has one (there is at most one per URL). */
async function existingProvider(iam: Iam, region: string): Promise<string | undefined> {
  const { ListOpenIDConnectProvidersCommand } = await import('@aws-sdk/client-iam');
  try {
    const res = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    return res.OpenIDConnectProviderList?.map((p) => p.Arn!).find((a) =>
      a.endsWith(`:oidc-provider/${OIDC_HOST}`),
    );
  } catch (e) {
    throw credentialsError(e, region) ?? e;
  }
}

/**
 * The provider parameter: on an update, the value the stack already has (passing the provider it
 * created as "existing" would make CloudFormation delete it); on a create, the account's provider.
 */
async function providerParameter(plan: CiPlan, region: string, exists: boolean): Promise<string> {
  if (exists) {
    const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
    const cfn = new CloudFormationClient(clientConfig(region));
    try {
      const res = await cfn.send(new DescribeStacksCommand({ StackName: plan.roles.stack }));
      return (
        res.Stacks?.[0]?.Parameters?.find((p) => p.ParameterKey === 'ExistingOidcProviderArn')
          ?.ParameterValue ?? ''
      );
    } finally {
      cfn.destroy();
    }
  }
  const { IAMClient } = await import('@aws-sdk/client-iam');
  const iam = new IAMClient(clientConfig(region));
  try {
    return (await existingProvider(iam, region)) ?? '';
  } finally {
    iam.destroy();
  }
}

/** A cloud assembly holding the template as it is, in a stack that needs no bootstrap. */
async function assemble(
  plan: CiPlan,
  templateText: string,
  dir: string,
  env: { account: string; region: string },
) {
  const { App, BootstraplessSynthesizer, Stack } = await import('aws-cdk-lib');
  const { CfnInclude } = await import('aws-cdk-lib/cloudformation-include');
  const templateFile = join(dir, 'roles.yaml');
  writeFileSync(templateFile, templateText);
  const app = new App({ outdir: join(dir, 'cdk.out'), analyticsReporting: false });
  const stack = new Stack(app, 'GitHubRoles', {
    stackName: plan.roles.stack,
    env,
    synthesizer: new BootstraplessSynthesizer(),
    description: `shipshape: GitHub Actions OIDC roles for ${plan.repository.owner}/${plan.repository.name}`,
  });
  new CfnInclude(stack, 'Template', { templateFile });
  return app.synth().directory;
}

export async function createRoles(
  plan: CiPlan,
  templateText: string,
  options: { onProgress: (line: string) => void; io?: DeployIoHost },
): Promise<CreateRoleResult> {
  const region = plan.environments[0]!.region;
  const target = await resolveTarget(region);
  options.onProgress(`${target.account} / ${region} as ${target.caller}`);
  const status = await stackStatus(region, plan.roles.stack);
  assertDeployable(plan.roles.stack, status, region);
  const provider = await providerParameter(
    plan,
    region,
    status !== undefined && status !== 'ROLLBACK_COMPLETE',
  );
  options.onProgress(
    provider
      ? `GitHub OIDC provider: the account's own (${provider})`
      : 'GitHub OIDC provider: created by the stack',
  );
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-roles-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const unregister = onCleanup(`remove ${dir}`, remove);
  try {
    const assembly = await assemble(plan, templateText, dir, { account: target.account, region });
    const { Toolkit, StackParameters, StackSelectionStrategy } = await import('@aws-cdk/toolkit-lib');
    const io = options.io ?? new DeployIoHost();
    const toolkit = new Toolkit({ ioHost: io, emojis: false, color: Boolean(process.stderr.isTTY) });
    const cx = await toolkit.fromAssemblyDirectory(assembly);
    options.onProgress(`deploying ${plan.roles.stack}`);
    await io.start();
    let result;
    try {
      result = await toolkit.deploy(cx, {
        stacks: { strategy: StackSelectionStrategy.ALL_STACKS },
        parameters: StackParameters.exactly({ ExistingOidcProviderArn: provider }),
      });
    } catch (e) {
      throw new ShipshapeError(`deploying ${plan.roles.stack} failed: ${(e as Error).message}`, {
        exitCode: ExitCode.failure,
        hint: `see ${followHint(plan.roles.stack, region)}; creating roles needs IAM permissions (an administrator)`,
        cause: e,
      });
    } finally {
      io.stop();
    }
    // The roles have fixed names, so their ARNs are known without the stack's outputs.
    const outputs = result.stacks[0]?.outputs ?? {};
    const roleArn = (name: string) => `arn:aws:iam::${target.account}:role/${name}`;
    return {
      stack: plan.roles.stack,
      account: target.account,
      region,
      oidcProvider: provider ? { arn: provider, created: false } : { created: true },
      deployRoleArn: outputs.DeployRoleArn ?? roleArn(plan.roles.deploy),
      diffRoleArn: outputs.DiffRoleArn ?? roleArn(plan.roles.diff),
    };
  } finally {
    remove();
    unregister();
  }
}
