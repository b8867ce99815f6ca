import type Docker from 'dockerode';
import { engine, requireEngine } from '../engine/client.js';
import { readImage } from '../engine/image-read.js';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel } from '../model/types.js';
import { selectServices } from '../model/select.js';
import { serviceImages } from '../model/image-ref.js';
import { buildBom } from './bom.js';
import {
  keptPackages,
  listPackages,
  packageIndexOptions,
  type Ecosystem,
  type ImagePackage,
} from './packages.js';

/**
 * `shipshape sbom SERVICE [--slim]`: the packages of a service's image as CycloneDX JSON. For the
 * slim image, the packages of the image it was made from that kept at least one file in it (the
 * slim image has no package databases left to read).
 */
export interface SbomOptions {
  slim?: boolean;
  docker?: Docker;
  onProgress?: (message: string) => void;
}

export interface SbomResult {
  service: string;
  image: { ref: string; id: string };
  /** For `--slim`: the image it was made from and how many packages that had. */
  source?: { ref: string; id: string; packages: number };
  packages: ImagePackage[];
  counts: Record<Ecosystem, number>;
  /** The CycloneDX JSON document. */
  json: string;
}

/** The packages of one image, read through the engine. */
export async function imagePackages(
  docker: Docker,
  ref: string,
): Promise<{ id: string; packages: ImagePackage[] }> {
  const { options, goBinaries } = packageIndexOptions();
  const snapshot = await readImage(docker, ref, options);
  return { id: snapshot.id, packages: listPackages(snapshot.index, goBinaries) };
}

export async function serviceSbom(
  app: AppModel,
  serviceName: string,
  options: SbomOptions = {},
): Promise<SbomResult> {
  const [service] = selectServices(app, [serviceName]);
  const docker = await requireEngine(options.docker ?? engine());
  const progress = options.onProgress ?? (() => {});
  const refs = serviceImages(app.name, service!);
  let result: Omit<SbomResult, 'json' | 'counts'>;
  if (!options.slim) {
    if (!refs.built)
      throw new ShipshapeError(`service "${service!.name}" has no image`, { exitCode: ExitCode.usage });
    progress(`reading ${refs.built}`);
    const { id, packages } = await imagePackages(docker, refs.built);
    result = { service: service!.name, image: { ref: refs.built, id }, packages };
  } else {
    progress(`reading ${refs.slim}`);
    const slim = await readImage(docker, refs.slim).catch((e: unknown) => {
      if (e instanceof ShipshapeError && e.exitCode === ExitCode.environment)
        throw new ShipshapeError(`service "${service!.name}" has no slim image (${refs.slim})`, {
          exitCode: ExitCode.environment,
          hint: `run \`shipshape slim ${service!.name}\` first`,
        });
      throw e;
    });
    const sourceRef =
      slim.labels['io.shipshape.slim.source-digest'] ??
      slim.labels['io.shipshape.slim.source'] ??
      refs.built!;
    progress(`reading ${sourceRef} (the image it was made from)`);
    const source = await imagePackages(docker, sourceRef);
    result = {
      service: service!.name,
      image: { ref: refs.slim, id: slim.id },
      source: { ref: sourceRef, id: source.id, packages: source.packages.length },
      packages: keptPackages(source.packages, slim.index),
    };
  }
  const counts: Record<Ecosystem, number> = { deb: 0, apk: 0, npm: 0, pypi: 0, golang: 0 };
  for (const p of result.packages) counts[p.ecosystem]++;
  const json = buildBom(
    {
      ref: result.image.ref,
      id: result.image.id,
      properties: {
        'shipshape:app': app.name,
        'shipshape:service': result.service,
        ...(result.source ? { 'shipshape:slim-source': result.source.ref } : {}),
      },
    },
    result.packages,
  );
  return { ...result, counts, json };
}
