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

/**
 * Why a reference is not one Docker would pull, or undefined when it is valid: the distribution
 * reference grammar — lowercase path components (`[a-z0-9]` joined by `.`, `_`, `__` or `-`), an
 * optional registry host (with a port), a tag of at most 128 word characters, dots and dashes,
 * a digest `algorithm:hex`; at most 255 characters before the tag.
 */
export function invalidImageRef(reference: string): string | undefined {
  if (reference === '') return 'it is empty';
  if (/\s/.test(reference)) return 'it contains blanks';
  // An IPv6 registry host (`[::1]:5000/app`): the rest is judged as usual.
  const ipv6 = /^\[[0-9a-fA-F:]+\](:\d+)?\//.exec(reference);
  if (ipv6) return invalidImageRef(`localhost/${reference.slice(ipv6[0].length)}`);
  const m = /^(?<name>[^:@]+(?::\d+\/[^:@]+)?)(?::(?<tag>[^@]*))?(?:@(?<digest>.*))?$/.exec(reference);
  if (!m?.groups) return 'it is not NAME[:TAG][@DIGEST]';
  const { name, tag, digest } = m.groups as { name: string; tag?: string; digest?: string };
  if (name.length > 255) return 'its name is longer than 255 characters';
  const parts = name.split('/');
  const host = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!) ? parts.shift()! : undefined;
  // Docker reads a first component with a `.` or `:` as a host; one that is also a plain path
  // component (`a_0.a`) its grammar accepts either way.
  const component = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$/;
  if (
    host !== undefined &&
    !component.test(host) &&
    !/^(\[[0-9a-fA-F:]+\]|[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(:\d+)?$/.test(
      host,
    )
  )
    return `"${host}" is not a registry host`;
  const bad = parts.find((p) => !component.test(p));
  if (bad !== undefined)
    return /[A-Z]/.test(bad)
      ? `"${bad}" has capital letters (repository names are lowercase)`
      : `"${bad}" is not a repository name (lowercase letters, digits, and . _ - between them)`;
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) return `"${tag}" is not a tag`;
  if (
    digest !== undefined &&
    !/^[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(digest)
  )
    return `"${digest}" is not a digest (sha256:<64 hex digits>)`;
  return undefined;
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

/**
 * A reference as the engine API's repository and tag, for one purpose. `pull`: the digest when
 * there is one (the engine pulls `repo@sha256:…` given the digest as its tag), else the tag, else
 * `latest`. `tag`: the tag (a digest cannot name a local tag), else `latest`. dockerode's own split
 * takes `name:1@sha256:…` apart wrongly.
 */
export function engineParts(reference: string, purpose: 'pull' | 'tag'): { repo: string; tag: string } {
  const ref = parseImageRef(reference);
  const tag = purpose === 'pull' ? (ref.digest ?? ref.tag) : ref.tag;
  return { repo: untagged(ref), tag: tag ?? 'latest' };
}

/** `redis:7` → `redis:7@sha256:…`: the reference pinned to `digest` (one already there is replaced). */
export function withDigest(reference: string, digest: string): string {
  const at = reference.indexOf('@');
  return `${at >= 0 ? reference.slice(0, at) : reference}@${digest}`;
}

/**
 * The image a service is on the local engine, decided once (compose's rule): its `image:` — for a
 * service with `build:` too, the name the build is tagged with — else `<project>-<service>:latest`,
 * lower-cased into a valid reference. `up`, `slim`, `check`, `sbom` and `deploy` all ask here.
 */
export function serviceImageName(appName: string, service: { name: string; image?: string }): string {
  if (service.image) return service.image;
  const clean = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '');
  return `${clean(appName)}-${clean(service.name)}:latest`;
}

/** The name `shipshape slim` tags an image's slim version with by default: `repo:slim`, or `repo:TAG-slim`. */
export function slimImageName(reference: string): string {
  const { repo, tag } = engineParts(reference, 'tag');
  return tag === 'latest' ? `${repo}:slim` : `${repo}:${tag}-slim`;
}

/**
 * The images of a service on the local engine, named once for every command: `built` is what `up`
 * builds and tags (its `image:` when it has one, compose's rule) or the `image:` it runs, `slim`
 * what `shipshape slim SERVICE` tags by default.
 */
export function serviceImages(
  appName: string,
  s: { name: string; image?: string; build?: unknown },
): { built?: string; slim: string } {
  const built = serviceImageName(appName, s);
  return { built: s.build || s.image ? built : undefined, slim: slimImageName(built) };
}
