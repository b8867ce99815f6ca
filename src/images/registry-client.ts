import { createHash } from 'node:crypto';
import { credentialsFor, type CredentialLookup, type Credentials } from './credentials.js';

/**
 * A small client for the part of the OCI distribution API shipshape needs: a manifest (or index)
 * and a blob, by repository and reference, with the registry's authentication (a Bearer token from
 * the realm its `WWW-Authenticate` challenge names — Docker Hub, GHCR, ECR's token endpoint — or
 * HTTP Basic). Plain HTTP only for loopback registries, after HTTPS, as Docker does.
 *
 * Written by hand on Node's fetch: the maintained npm client (@snyk/docker-registry-v2-client)
 * brings a second HTTP stack (needle, psl), refuses some token realms with an error that sends
 * people to its vendor's support, and knows neither Docker's config.json nor mirrors, which we
 * need anyway; the others (oci-registry-client, docker-registry-client) are unmaintained or pull
 * in restify and bunyan. Three requests and one token exchange are little code.
 */

export type RegistryProblem = 'unreachable' | 'unauthorized' | 'not-found' | 'invalid';

/** Why a registry could not answer: which registry, and what to tell people. */
export class RegistryError extends Error {
  constructor(
    readonly registry: string,
    readonly problem: RegistryProblem,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];

export interface Fetched {
  body: Buffer;
  contentType: string;
  /** `sha256:` of the body. */
  digest: string;
}

export interface RegistryEndpoint {
  /** Host (and port) as people name it: `127.0.0.1:5000`, `docker.io`. */
  host: string;
  /** Base URLs to try in order (`https://registry-1.docker.io`; a loopback registry also over http). */
  bases: string[];
}

/** Loopback registries are trusted over plain HTTP, as Docker's default insecure range (127.0.0.0/8, ::1). */
export function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.split(':')[0]!;
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** Where registry `host` answers: Docker Hub's API host for `docker.io`; http after https for loopback. */
export function endpointOf(host: string): RegistryEndpoint {
  const api = host === 'docker.io' ? 'registry-1.docker.io' : host;
  return { host, bases: isLoopback(host) ? [`https://${api}`, `http://${api}`] : [`https://${api}`] };
}

const TIMEOUT_MS = Number(process.env.SHIPSHAPE_REGISTRY_TIMEOUT_MS) || 15_000;

/** One registry's session: credentials looked up once, tokens kept per scope, the scheme that worked. */
export class RegistryClient {
  private credentials?: Promise<CredentialLookup>;
  private readonly tokens = new Map<string, string>();
  private workingBase?: string;

  constructor(
    readonly endpoint: RegistryEndpoint,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** A manifest or index by tag or digest; verified against the digest when asked by digest. */
  async manifest(repository: string, reference: string): Promise<Fetched> {
    const got = await this.get(repository, `/v2/${repository}/manifests/${reference}`, MANIFEST_TYPES);
    if (reference.startsWith('sha256:') && got.digest !== reference)
      throw this.error('invalid', `the manifest of ${repository}@${reference} does not match its digest`);
    return got;
  }

  /** A blob (an image config) by digest, verified. */
  async blob(repository: string, digest: string): Promise<Fetched> {
    const got = await this.get(repository, `/v2/${repository}/blobs/${digest}`, ['*/*']);
    if (got.digest !== digest)
      throw this.error('invalid', `blob ${digest} of ${repository} does not match its digest`);
    return got;
  }

  private error(problem: RegistryProblem, message: string): RegistryError {
    return new RegistryError(this.endpoint.host, problem, message);
  }

  private async get(repository: string, path: string, accept: string[]): Promise<Fetched> {
    const scope = `repository:${repository}:pull`;
    let response = await this.send(path, accept, this.tokens.get(scope));
    if (response.status === 401) {
      const authorization = await this.authorize(response.headers.get('www-authenticate') ?? '', scope);
      response = await this.send(path, accept, authorization);
      if (response.status === 401 || response.status === 403) {
        const lookup = await this.lookupCredentials();
        throw this.error(
          'unauthorized',
          lookup.credentials
            ? `the registry refused the credentials from ${lookup.credentials.origin} (HTTP ${response.status})`
            : `the registry wants credentials (HTTP ${response.status}): ${lookup.problem ?? 'none found'}`,
        );
      }
    }
    if (response.status === 404)
      throw this.error(
        'not-found',
        `${repository}: ${path.includes('/blobs/') ? 'blob' : 'manifest'} not found`,
      );
    if (response.status === 403)
      throw this.error('unauthorized', `access to ${repository} denied (HTTP 403)`);
    if (!response.ok) throw this.error('invalid', `${path} answered HTTP ${response.status}`);
    const body = Buffer.from(await response.arrayBuffer());
    return {
      body,
      contentType: (response.headers.get('content-type') ?? '').split(';')[0]!.trim(),
      digest: `sha256:${createHash('sha256').update(body).digest('hex')}`,
    };
  }

  /** GET on the first base URL that answers (https first; http only for loopback registries). */
  private async send(path: string, accept: string[], authorization?: string): Promise<Response> {
    const bases = this.workingBase ? [this.workingBase] : this.endpoint.bases;
    let last: unknown;
    for (const base of bases) {
      try {
        const response = await fetch(`${base}${path}`, {
          headers: { accept: accept.join(', '), ...(authorization ? { authorization } : {}) },
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        this.workingBase = base;
        return response;
      } catch (e) {
        last = e;
      }
    }
    throw this.error('unreachable', `not reachable (${networkReason(last)})`);
  }

  private lookupCredentials(): Promise<CredentialLookup> {
    this.credentials ??= credentialsFor(this.endpoint.host, this.env);
    return this.credentials;
  }

  /** The Authorization header a 401 challenge asks for: a Bearer token from its realm, or Basic. */
  private async authorize(header: string, scope: string): Promise<string | undefined> {
    const challenge = parseChallenge(header);
    const { credentials } = await this.lookupCredentials();
    if (challenge?.scheme === 'basic') return credentials?.username ? basic(credentials) : undefined;
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) return undefined;
    const token = await this.token(challenge.params, challenge.params.scope ?? scope, credentials);
    this.tokens.set(scope, `Bearer ${token}`);
    return `Bearer ${token}`;
  }

  /** Docker's token protocol: GET the realm (Basic credentials, if any), or POST an OAuth refresh token. */
  private async token(
    params: Record<string, string>,
    scope: string,
    credentials?: Credentials,
  ): Promise<string> {
    const realm = new URL(params.realm!);
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && isLoopback(realm.host)))
      throw this.error('invalid', `the token realm ${realm.origin} is not HTTPS`);
    let response: Response;
    try {
      if (credentials?.identityToken) {
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: credentials.identityToken,
          service: params.service ?? '',
          scope,
          client_id: 'shipshape',
        });
        response = await fetch(realm, {
          method: 'POST',
          body: form,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } else {
        if (params.service) realm.searchParams.set('service', params.service);
        realm.searchParams.set('scope', scope);
        response = await fetch(realm, {
          headers: credentials?.username ? { authorization: basic(credentials) } : {},
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      }
    } catch (e) {
      throw this.error(
        'unreachable',
        `its token service ${realm.origin} is not reachable (${networkReason(e)})`,
      );
    }
    if (!response.ok) {
      throw this.error(
        'unauthorized',
        `its token service ${realm.origin} refused ${credentials ? `the credentials from ${credentials.origin}` : 'an anonymous token'} (HTTP ${response.status})`,
      );
    }
    const answer = (await response.json()) as { token?: string; access_token?: string };
    const token = answer.token ?? answer.access_token;
    if (!token) throw this.error('invalid', `its token service ${realm.origin} answered without a token`);
    return token;
  }
}

function basic(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}`;
}

/** `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="…"` → scheme and params. */
export function parseChallenge(
  header: string,
): { scheme: string; params: Record<string, string> } | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g))
    params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: m[1]!.toLowerCase(), params };
}

/** The useful part of a fetch failure: `ECONNREFUSED 127.0.0.1:5999`, `timed out after 15 s`. */
function networkReason(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = err?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return cause?.message ?? err?.message ?? String(e);
}
