import { ExitCode, ShipshapeError } from '../model/errors.js';
import { clientConfig, credentialsError } from '../aws/config.js';
import type { RegistryTarget } from './images.js';

/**
 * ECR as a push target: Docker credentials from the SDK's ECR authorization token (no `aws ecr
 * get-login-password | docker login`, nothing written to ~/.docker), and tag look-ups through
 * DescribeImages.
 */

/** `AWS:<password>` (base64) → Docker auth, and the registry host of the proxy endpoint. */
export function decodeAuthorization(
  token: string,
  proxyEndpoint: string,
): RegistryTarget['auth'] & { host: string } {
  const [username, ...rest] = Buffer.from(token, 'base64').toString('utf8').split(':');
  const host = proxyEndpoint.replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return { username, password: rest.join(':'), serveraddress: proxyEndpoint, host };
}

export async function ecrRegistry(region: string): Promise<RegistryTarget> {
  const { ECRClient, GetAuthorizationTokenCommand, DescribeImagesCommand } =
    await import('@aws-sdk/client-ecr');
  const ecr = new ECRClient(clientConfig(region));
  let data;
  try {
    const res = await ecr.send(new GetAuthorizationTokenCommand({}));
    data = res.authorizationData?.[0];
  } catch (e) {
    throw credentialsError(e, region) ?? e;
  }
  if (!data?.authorizationToken || !data.proxyEndpoint) {
    throw new ShipshapeError('ECR returned no authorization token', {
      exitCode: ExitCode.environment,
      hint: 'the deploying identity needs ecr:GetAuthorizationToken',
    });
  }
  const { host, ...auth } = decodeAuthorization(data.authorizationToken, data.proxyEndpoint);
  return {
    host,
    auth,
    async existingDigest(repositoryName, tag) {
      try {
        const res = await ecr.send(
          new DescribeImagesCommand({
            repositoryName,
            // A reference by digest (`sha256:…`, what tasks run) or by tag.
            imageIds: [tag.startsWith('sha256:') ? { imageDigest: tag } : { imageTag: tag }],
          }),
        );
        return res.imageDetails?.[0]?.imageDigest;
      } catch (e) {
        if ((e as Error).name === 'ImageNotFoundException') return undefined;
        throw credentialsError(e, region) ?? e;
      }
    },
    pushHint: `check the network path to ${host} and that the deploying identity may push (ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:PutImage)`,
  };
}
