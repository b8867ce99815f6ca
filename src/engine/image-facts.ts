import type Docker from 'dockerode';
import { isStatus } from './client.js';
import { parseImageRef } from '../model/image-ref.js';
import type { ImageFacts } from '../model/types.js';
import { factsFromConfig, type ImageConfigJson } from '../images/config-facts.js';

/**
 * An image's facts from the engine's own copy, when the engine has it for the platform asked: what
 * `up`, `check` and `slim` run and read. Its digest is the repository digest the engine recorded
 * when it pulled or pushed the image (what the reference resolved to in its registry); an image
 * built here and never pushed has none, and the cloud cannot pull it.
 */
export async function readFromEngine(
  docker: Docker,
  image: string,
  platform: string,
): Promise<ImageFacts | undefined> {
  let info: Docker.ImageInspectInfo;
  try {
    info = await docker.getImage(image).inspect();
  } catch (e) {
    if (isStatus(e, 404)) return undefined;
    throw e;
  }
  const [os, architecture] = platform.split('/');
  if (info.Os !== os || info.Architecture !== architecture) return undefined;
  const json: ImageConfigJson = {
    os: info.Os,
    architecture: info.Architecture,
    config: info.Config as ImageConfigJson['config'],
  };
  return factsFromConfig(json, {
    image,
    platform,
    digest: repositoryDigest(image, info.RepoDigests ?? []),
    config: info.Id,
    from: 'engine',
  });
}

/** The `repo@sha256:…` of `RepoDigests` that belongs to `image`'s registry and repository. */
export function repositoryDigest(image: string, repoDigests: readonly string[]): string | undefined {
  const want = parseImageRef(image);
  for (const entry of repoDigests) {
    const got = parseImageRef(entry);
    if (got.digest && got.registry === want.registry && got.repository === want.repository) return got.digest;
  }
  return want.digest;
}
