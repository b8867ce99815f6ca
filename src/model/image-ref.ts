import type { ImageRef } from './types.js';

/**
 * The one image-reference parser: `[registry/][path/]name[:tag][@digest]`, following the
 * distribution reference grammar Docker uses (the first path component is a registry when it
 * contains a `.` or a `:`, or is `localhost`). Every command that needs an image's name, tag or
 * registry asks here.
 *
 * Written by hand: the grammar is a few lines, and the npm packages for it either pull in a
 * registry client or do not expose the parts (registry, repository, name) separately.
 */
export function parseImageRef(reference: string): ImageRef {
  let rest = reference.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  if (parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!)) registry = parts.shift();
  if (registry === 'docker.io' || registry === 'index.docker.io') registry = undefined;
  let repository = parts.join('/');
  if (registry === undefined && parts.length === 1) repository = `library/${repository}`;
  return {
    reference,
    ...(registry !== undefined ? { registry } : {}),
    repository,
    name: parts[parts.length - 1] ?? '',
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** The major version in a tag (`16-alpine` → 16, `10.6.4-focal` → 10); undefined for `latest` and the like. */
export function tagMajor(ref: ImageRef): number | undefined {
  const m = /^(?:v|pg)?(\d+)/.exec(ref.tag ?? '');
  return m ? Number(m[1]) : undefined;
}

/** The version in a tag (`10.6.4-focal` → 10.6, `7-alpine` → 7); undefined for `latest`, `alpine` and the like. */
export function tagVersion(ref: ImageRef): { major: number; minor?: number } | undefined {
  const m = /^(?:v|pg)?(\d+)(?:\.(\d+))?/.exec(ref.tag ?? '');
  if (!m) return undefined;
  return m[2] === undefined ? { major: Number(m[1]) } : { major: Number(m[1]), minor: Number(m[2]) };
}

/** Whether the reference is pinned: a digest, or a tag other than `latest`. */
export function isPinned(ref: ImageRef): boolean {
  return ref.digest !== undefined || (ref.tag !== undefined && ref.tag !== 'latest');
}

/** The reference without tag or digest, as written (`127.0.0.1:5000/app:1.2` → `127.0.0.1:5000/app`). */
export function untagged(ref: ImageRef): string {
  const path = ref.registry === undefined ? ref.repository.replace(/^library\//, '') : ref.repository;
  return ref.registry === undefined ? path : `${ref.registry}/${path}`;
}
