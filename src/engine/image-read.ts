import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import { indexExport, type ImageIndex, type IndexOptions } from '../images/image-fs.js';
import { onCleanup } from '../support/cleanup.js';
import { LABELS, isStatus } from './client.js';

/** Label on the throwaway container an image is read through, with the read's id. */
export const IMAGE_READ_LABEL = 'io.shipshape.image-read';

/** What `check`, `sbom` and `report` know about an image: its configuration and its files. */
export interface ImageSnapshot {
  /** The reference it was asked for. */
  ref: string;
  id: string;
  /** Configured user (`Config.User`), '' when none (root). */
  user: string;
  env: string[];
  labels: Record<string, string>;
  /** Bytes, as the engine reports them. */
  size: number;
  layers: number;
  index: ImageIndex;
}

/** The image's id, or undefined when the engine does not have it. */
export async function imageId(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch (e) {
    if (isStatus(e, 404)) return undefined;
    throw e;
  }
}

/**
 * Read an image's filesystem without running it: create a container that is never started,
 * stream its export through the image indexer, remove it (also on Ctrl-C). The container is
 * labelled so a crash leaves nothing unlabelled behind.
 */
export async function readImage(
  docker: Docker,
  ref: string,
  options: IndexOptions = {},
): Promise<ImageSnapshot> {
  let image: Docker.ImageInspectInfo;
  try {
    image = await docker.getImage(ref).inspect();
  } catch (e) {
    if (!isStatus(e, 404)) throw e;
    throw new ShipshapeError(`image ${ref} is not on this engine`, {
      exitCode: ExitCode.environment,
      hint: 'build it first (`shipshape up SERVICE` builds, `shipshape slim SERVICE` makes the slim image)',
    });
  }
  const readId = randomBytes(6).toString('hex');
  const container = await docker.createContainer({
    Image: image.Id,
    name: `shipshape-read-${readId}`,
    Labels: { [LABELS.managed]: 'true', [LABELS.role]: 'image-read', [IMAGE_READ_LABEL]: readId },
    Entrypoint: ['/'],
    Cmd: [],
    NetworkDisabled: true,
  });
  const remove = () =>
    container.remove({ force: true, v: true }).catch((e: unknown) => {
      if (!isStatus(e, 404, 409)) throw e;
    });
  const unregister = onCleanup(`remove ${container.id.slice(0, 12)}`, remove);
  try {
    const index = await indexExport((await container.export()) as unknown as Readable, options);
    return {
      ref,
      id: image.Id,
      user: image.Config?.User ?? '',
      env: image.Config?.Env ?? [],
      labels: image.Config?.Labels ?? {},
      size: image.Size,
      layers: image.RootFS?.Layers?.length ?? 0,
      index,
    };
  } finally {
    unregister();
    await remove();
  }
}
