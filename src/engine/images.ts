import type Docker from 'dockerode';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import { engineParts } from '../model/image-ref.js';
import { isStatus } from './client.js';

/** Tag image `id` as `reference` (`registry:5000/app:1.0`; no tag means `latest`). */
export async function tagImage(docker: Docker, id: string, reference: string): Promise<void> {
  const { repo, tag } = engineParts(reference, 'tag');
  await docker.getImage(id).tag({ repo, tag });
}

/** The id of image `ref`, pulling it when the engine lacks it; a clear error when it can't be had. */
export async function ensureImage(
  docker: Docker,
  ref: string,
  onProgress: (m: string) => void,
): Promise<string> {
  try {
    return ((await docker.getImage(ref).inspect()) as { Id: string }).Id;
  } catch (e) {
    if (!isStatus(e, 404)) throw e;
  }
  onProgress(`pulling ${ref}`);
  try {
    const { repo, tag } = engineParts(ref, 'pull');
    const stream = (await docker.createImage({ fromImage: repo, tag })) as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())),
    );
  } catch (e) {
    throw new ShipshapeError(
      `image ${ref} is not on this machine and could not be pulled: ${(e as Error).message}`,
      {
        exitCode: ExitCode.environment,
        hint: 'pull or load it (scripts/dev-env.sh provides the offline base images), or set `image:` to one you have',
      },
    );
  }
  return ((await docker.getImage(ref).inspect()) as { Id: string }).Id;
}
