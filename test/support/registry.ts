import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate, createHash, createSign, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Registries for the image-facts tests: the dev-env registry on 127.0.0.1:5000, and private ones
 * the tests start themselves (Debian's `docker-registry` with htpasswd auth on a free loopback
 * port), plus a way to push a hand-made multi-platform index over the distribution API.
 */

export const LOCAL_REGISTRY = process.env.SHIPSHAPE_REGISTRY_ADDR ?? '127.0.0.1:5000';

/** A loopback port nothing listens on (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface PrivateRegistry {
  host: string;
  stop(): Promise<void>;
}

/**
 * `docker-registry` with htpasswd (bcrypt, made by the C library's crypt through perl) on a free
 * loopback port, its storage under `dir`. Stopped by its pid.
 */
export async function startPrivateRegistry(
  dir: string,
  user: string,
  password: string,
): Promise<PrivateRegistry> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const salt = createHash('sha256')
    .update(dir)
    .digest('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 22);
  const hash = spawnSync('perl', ['-e', 'print crypt($ARGV[0], $ARGV[1])', password, `$2b$05$${salt}`], {
    encoding: 'utf8',
  }).stdout;
  if (!hash.startsWith('$2b$')) throw new Error(`perl crypt made no bcrypt hash: ${hash}`);
  writeFileSync(join(dir, 'htpasswd'), `${user}:${hash}\n`);
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      'http:',
      `  addr: ${host}`,
      'auth:',
      '  htpasswd:',
      '    realm: shipshape-test',
      `    path: ${join(dir, 'htpasswd')}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 60; i++) {
    const up = await fetch(`http://${host}/v2/`).then(
      (r) => r.status === 401,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    host,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function putBlob(registry: string, repo: string, body: Buffer): Promise<string> {
  const digest = sha256(body);
  const start = await fetch(`http://${registry}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) throw new Error(`blob upload start: HTTP ${start.status}`);
  const location = new URL(start.headers.get('location')!, `http://${registry}`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    body,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status}`);
  return digest;
}

async function putManifest(registry: string, repo: string, ref: string, mediaType: string, body: Buffer) {
  const put = await fetch(`http://${registry}/v2/${repo}/manifests/${ref}`, {
    method: 'PUT',
    body,
    headers: { 'content-type': mediaType },
  });
  if (put.status !== 201) throw new Error(`manifest put: HTTP ${put.status} ${await put.text()}`);
  return sha256(body);
}

/**
 * Push `repo:tag` as an OCI index with one image per platform, each with its own USER and EXPOSE
 * (and one empty layer). Returns the index digest and each platform manifest's digest.
 */
export async function pushIndex(
  registry: string,
  repo: string,
  tag: string,
  images: { architecture: string; user: string; ports: number[] }[],
): Promise<{ index: string; manifests: Record<string, string> }> {
  const tar = Buffer.alloc(1024);
  const layer = gzipSync(tar);
  const layerDigest = await putBlob(registry, repo, layer);
  const manifests: Record<string, string> = {};
  const entries = [];
  for (const image of images) {
    const config = Buffer.from(
      JSON.stringify({
        architecture: image.architecture,
        os: 'linux',
        config: {
          User: image.user,
          ExposedPorts: Object.fromEntries(image.ports.map((p) => [`${p}/tcp`, {}])),
          Cmd: ['/bin/true'],
        },
        rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
      }),
    );
    const configDigest = await putBlob(registry, repo, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: configDigest,
          size: config.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            digest: layerDigest,
            size: layer.length,
          },
        ],
      }),
    );
    const digest = await putManifest(
      registry,
      repo,
      sha256(manifest),
      'application/vnd.oci.image.manifest.v1+json',
      manifest,
    );
    manifests[image.architecture] = digest;
    entries.push({
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest,
      size: manifest.length,
      platform: { os: 'linux', architecture: image.architecture },
    });
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: entries,
    }),
  );
  return {
    index: await putManifest(registry, repo, tag, 'application/vnd.oci.image.index.v1+json', index),
    manifests,
  };
}

/**
 * `docker-registry` with token auth, as Docker Hub does it: a 401 with a Bearer challenge naming
 * a token service (here a small one in this process, on another loopback port) that hands out
 * JWTs signed with a key whose self-signed certificate (made by openssl) the registry trusts, to
 * anyone presenting `user:password` as Basic credentials. Anonymous token requests are refused.
 */
export async function startTokenRegistry(
  dir: string,
  user: string,
  password: string,
): Promise<PrivateRegistry> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-days',
      '2',
      '-subj',
      '/CN=shipshape-test-token',
    ],
    { stdio: 'ignore' },
  );
  if (made.status !== 0) throw new Error('openssl could not make the token certificate');
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  const certDer = new X509Certificate(readFileSync(join(dir, 'cert.pem'))).raw.toString('base64');
  const service = 'shipshape-test';
  const issuer = 'shipshape-test-issuer';
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const tokens = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401).end('{"details":"incorrect username or password"}');
      return;
    }
    const scope = (url.searchParams.get('scope') ?? '').split(':');
    const now = Math.floor(Date.now() / 1000);
    const body = `${b64({ typ: 'JWT', alg: 'RS256', x5c: [certDer] })}.${b64({
      iss: issuer,
      sub: user,
      aud: service,
      exp: now + 300,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access: scope.length === 3 ? [{ type: scope[0], name: scope[1], actions: scope[2]!.split(',') }] : [],
    })}`;
    const signature = createSign('RSA-SHA256').update(body).sign(key).toString('base64url');
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token: `${body}.${signature}` }));
  });
  const tokenPort = await new Promise<number>((resolve) =>
    tokens.listen(0, '127.0.0.1', () => resolve((tokens.address() as { port: number }).port)),
  );
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: error',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      'http:',
      `  addr: ${host}`,
      'auth:',
      '  token:',
      `    realm: http://127.0.0.1:${tokenPort}/token`,
      `    service: ${service}`,
      `    issuer: ${issuer}`,
      `    rootcertbundle: ${join(dir, 'cert.pem')}`,
      '',
    ].join('\n'),
  );
  const child = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
  for (let i = 0; i < 60; i++) {
    if (
      await fetch(`http://${host}/v2/`).then(
        (r) => r.status === 401,
        () => false,
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    host,
    stop: async () => {
      tokens.close();
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
