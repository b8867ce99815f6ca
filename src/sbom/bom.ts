import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import { SHIPSHAPE_VERSION } from '../support/version.js';
import type { ImagePackage } from './packages.js';

/** The subject of an SBOM: one container image. */
export interface BomSubject {
  /** Image reference, e.g. `web-api-web:latest`. */
  ref: string;
  /** `sha256:…` image id. */
  id: string;
  /** Extra facts recorded as properties (`shipshape:service`, `shipshape:slim-source`, ...). */
  properties?: Record<string, string>;
}

/**
 * A CycloneDX 1.6 JSON SBOM built with the CycloneDX library: the image as the metadata
 * component, each package a library (or the OS packages as `operating-system` components'
 * libraries) with its purl as bom-ref, and `shipshape:found-at` saying where it was read.
 */
export function buildBom(subject: BomSubject, packages: readonly ImagePackage[], now = new Date()): string {
  const bom = new Models.Bom();
  const image = new Models.Component(Enums.ComponentType.Container, subject.ref, {
    bomRef: subject.id,
    version: subject.id,
  });
  for (const [k, v] of Object.entries(subject.properties ?? {}))
    image.properties.add(new Models.Property(k, v));
  bom.metadata.component = image;
  bom.metadata.timestamp = now;
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, 'shipshape', { version: SHIPSHAPE_VERSION }),
  );
  const seen = new Set<string>();
  for (const p of packages) {
    if (seen.has(p.purl)) continue; // the same npm package vendored twice is one component
    seen.add(p.purl);
    const c = new Models.Component(Enums.ComponentType.Library, p.name, {
      bomRef: p.purl,
      purl: p.purl,
      ...(p.version ? { version: p.version } : {}),
    });
    c.properties.add(new Models.Property('shipshape:ecosystem', p.ecosystem));
    c.properties.add(new Models.Property('shipshape:found-at', p.foundAt));
    if (p.license) c.licenses.add(new Models.NamedLicense(p.license));
    bom.components.add(c);
  }
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: true, space: 2 });
}
