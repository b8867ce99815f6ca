import { ExitCode, ShipshapeError } from '../model/errors.js';

/**
 * The AWS side of a deploy: which account and region, through the SDK's standard configuration
 * (AWS_PROFILE, AWS_REGION, the credentials chain, AWS_ENDPOINT_URL for emulators). The SDK is
 * loaded on first use, so the CLI's other commands never pay for it.
 */
export interface AwsTarget {
  account: string;
  region: string;
  /** `AWS_ENDPOINT_URL`, when the commands talk to an emulator or a proxy. */
  endpoint?: string;
  /** The caller's ARN (who deploys). */
  caller: string;
}

// The SDK warns on Node 20 that future versions will need Node 22; shipshape supports Node 20
// (package.json engines), so the warning would only confuse its users.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** Client options every SDK client here shares: the app's region, standard everything else. */
export function clientConfig(region: string): { region: string } {
  return { region };
}

const NO_CREDENTIALS = /CredentialsProviderError|Could not load credentials|Unable to locate credentials/i;
const EXPIRED =
  /ExpiredToken|RequestExpired|token.*expired|session.*expired|InvalidClientTokenId|UnrecognizedClient|SignatureDoesNotMatch/i;

/** A clear error (exit 3) for the AWS failures people hit before anything is deployed. */
export function credentialsError(e: unknown, region: string): ShipshapeError | undefined {
  const err = e as { name?: string; message?: string; code?: string };
  const text = `${err.name ?? ''} ${err.code ?? ''} ${err.message ?? ''}`;
  if (NO_CREDENTIALS.test(text)) {
    return new ShipshapeError('no AWS credentials found', {
      exitCode: ExitCode.environment,
      hint: 'set AWS_PROFILE (see `aws configure list-profiles`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for an emulator also AWS_ENDPOINT_URL',
    });
  }
  if (EXPIRED.test(text)) {
    return new ShipshapeError(`the AWS credentials were refused: ${err.message ?? err.name}`, {
      exitCode: ExitCode.environment,
      hint: process.env.AWS_PROFILE
        ? `the session of profile ${process.env.AWS_PROFILE} has probably expired: run \`aws sso login --profile ${process.env.AWS_PROFILE}\` (or refresh its keys) and try again`
        : 'refresh the session (aws sso login, or new temporary keys) and try again',
    });
  }
  if (/ENOTFOUND|ECONNREFUSED|EAI_AGAIN|ETIMEDOUT|socket hang up/i.test(text)) {
    return new ShipshapeError(`cannot reach AWS in ${region}: ${err.message}`, {
      exitCode: ExitCode.environment,
      hint: process.env.AWS_ENDPOINT_URL
        ? `check that the endpoint ${process.env.AWS_ENDPOINT_URL} is up`
        : 'check the network connection and the region name',
    });
  }
  return undefined;
}

/** Who and where we deploy: STS GetCallerIdentity, with the failures above made readable. */
export async function resolveTarget(region: string): Promise<AwsTarget> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient(clientConfig(region));
  try {
    const id = await sts.send(new GetCallerIdentityCommand({}));
    return {
      account: id.Account!,
      region,
      endpoint: process.env.AWS_ENDPOINT_URL,
      caller: id.Arn ?? 'unknown',
    };
  } catch (e) {
    throw credentialsError(e, region) ?? e;
  } finally {
    sts.destroy();
  }
}

/** The console page of a stack's events, for people following a deployment shipshape left. */
export function followHint(stackName: string, region: string): string {
  return `aws cloudformation describe-stack-events --stack-name ${stackName} --region ${region} --max-items 20`;
}
