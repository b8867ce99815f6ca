import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { factsFromConfig, imageHealthcheck } from '../../../src/images/config-facts.js';
import { credentialsFor, DOCKER_HUB_KEY } from '../../../src/images/credentials.js';
import { repositoryDigest } from '../../../src/engine/image-facts.js';
import { endpointOf, isLoopback, parseChallenge } from '../../../src/images/registry-client.js';
import { choosePlatform, configuredMirrors } from '../../../src/images/registry-read.js';

const dir = () => mkdtempSync(join(tmpdir(), 'shipshape-images-unit-'));

describe('the registry challenge', () => {
  it("parses Docker Hub's Bearer challenge and a Basic one", () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/redis:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/redis:pull',
      },
    });
    expect(parseChallenge('Basic realm="shipshape-test"')).toEqual({
      scheme: 'basic',
      params: { realm: 'shipshape-test' },
    });
    expect(parseChallenge('')).toBeUndefined();
  });
});

describe('plain HTTP only for loopback registries', () => {
  it('tries http after https for 127.0.0.0/8, localhost and ::1, and never for others', () => {
    for (const h of ['127.0.0.1:5000', 'localhost:5000', '127.1.2.3', '[::1]:5000'])
      expect(isLoopback(h), h).toBe(true);
    for (const h of ['registry.example.com', '10.0.0.1:5000', 'ghcr.io', '127.example.com'])
      expect(isLoopback(h), h).toBe(false);
    expect(endpointOf('127.0.0.1:5000').bases).toEqual(['https://127.0.0.1:5000', 'http://127.0.0.1:5000']);
    expect(endpointOf('docker.io').bases).toEqual(['https://registry-1.docker.io']);
    expect(endpointOf('ghcr.io').bases).toEqual(['https://ghcr.io']);
  });
});

describe('multi-platform indexes', () => {
  const manifests = [
    { digest: 'sha256:a', platform: { os: 'linux', architecture: 'amd64' } },
    { digest: 'sha256:b', platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { digest: 'sha256:c', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { digest: 'sha256:d', platform: { os: 'unknown', architecture: 'unknown' } },
  ];
  it('chooses the platform asked, a variant only when asked', () => {
    expect(choosePlatform(manifests, 'linux/amd64')?.digest).toBe('sha256:a');
    expect(choosePlatform(manifests, 'linux/arm64')?.digest).toBe('sha256:c');
    expect(choosePlatform(manifests, 'linux/arm64/v8')?.digest).toBe('sha256:c');
    expect(choosePlatform(manifests, 'linux/s390x')).toBeUndefined();
  });
});

describe('mirrors', () => {
  it('come from SHIPSHAPE_REGISTRY_MIRRORS, else the engine daemon.json registry-mirrors', () => {
    const d = dir();
    const daemon = join(d, 'daemon.json');
    writeFileSync(daemon, JSON.stringify({ 'registry-mirrors': ['https://mirror.example.com/'] }));
    expect(configuredMirrors({}, daemon)).toEqual(['https://mirror.example.com']);
    expect(
      configuredMirrors({ SHIPSHAPE_REGISTRY_MIRRORS: 'http://127.0.0.1:5000, nonsense' }, daemon),
    ).toEqual(['http://127.0.0.1:5000']);
    expect(configuredMirrors({}, join(d, 'none.json'))).toEqual([]);
  });
});

describe('image config → facts', () => {
  it('reads user, TCP and UDP ports, healthcheck (ns → ms, Docker defaults), argv and platform', () => {
    const facts = factsFromConfig(
      {
        architecture: 'arm64',
        os: 'linux',
        config: {
          User: 'app',
          ExposedPorts: { '80/tcp': {}, '53/udp': {}, '9000': {} },
          Healthcheck: { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 10e9, Retries: 0 },
          Entrypoint: ['/entry'],
          Cmd: null,
          Env: ['A=1'],
          WorkingDir: '/srv',
        },
      },
      { image: 'x:1', platform: 'linux/arm64', digest: 'sha256:d', config: 'sha256:c', from: 'registry' },
    );
    expect(facts).toEqual({
      image: 'x:1',
      platform: 'linux/arm64',
      digest: 'sha256:d',
      config: 'sha256:c',
      from: 'registry',
      user: 'app',
      ports: [80, 9000],
      udpPorts: [53],
      healthcheck: {
        test: ['CMD-SHELL', 'curl -f localhost'],
        intervalMs: 10_000,
        timeoutMs: 30_000,
        retries: 3,
        startPeriodMs: 0,
        disabled: false,
      },
      entrypoint: ['/entry'],
      workingDir: '/srv',
      env: ['A=1'],
      architecture: 'arm64',
      os: 'linux',
    });
    expect(imageHealthcheck({ Test: ['NONE'] })?.disabled).toBe(true);
    expect(imageHealthcheck(null)).toBeUndefined();
  });

  it("takes the engine copy's digest from the RepoDigests entry of the same repository", () => {
    const d = `sha256:${'1'.repeat(64)}`;
    expect(repositoryDigest('redis:7', [`127.0.0.1:5000/redis@sha256:${'2'.repeat(64)}`, `redis@${d}`])).toBe(
      d,
    );
    expect(repositoryDigest('127.0.0.1:5000/redis:7', [`redis@${d}`])).toBeUndefined();
  });
});

describe("Docker's credentials", () => {
  const host = '127.0.0.1:5001';
  const withConfig = (config: unknown) => {
    const d = dir();
    writeFileSync(join(d, 'config.json'), JSON.stringify(config));
    return { DOCKER_CONFIG: d, PATH: process.env.PATH };
  };

  it('reads auths: base64 auth, username/password, identitytoken; Docker Hub under its v1 key', async () => {
    const auth = Buffer.from('me:pa:ss').toString('base64');
    expect(
      (await credentialsFor(host, withConfig({ auths: { [`http://${host}`]: { auth } } }))).credentials,
    ).toMatchObject({
      username: 'me',
      password: 'pa:ss',
    });
    expect(
      (
        await credentialsFor(
          'docker.io',
          withConfig({ auths: { [DOCKER_HUB_KEY]: { username: 'u', password: 'p' } } }),
        )
      ).credentials,
    ).toMatchObject({ username: 'u', password: 'p' });
    expect(
      (await credentialsFor(host, withConfig({ auths: { [host]: { identitytoken: 'tok' } } }))).credentials,
    ).toMatchObject({ identityToken: 'tok' });
    expect((await credentialsFor(host, withConfig({ auths: {} }))).problem).toMatch(
      /^no credentials for 127\.0\.0\.1:5001 in /,
    );
  });

  it('runs credHelpers and credsStore helpers, and says when one has nothing or fails', async () => {
    const bin = dir();
    const helper = (name: string, body: string) => {
      writeFileSync(join(bin, `docker-credential-${name}`), `#!/bin/sh\nread server\n${body}\n`);
      chmodSync(join(bin, `docker-credential-${name}`), 0o755);
    };
    helper('good', 'printf \'{"ServerURL":"%s","Username":"u","Secret":"s"}\' "$server"');
    helper('token', 'printf \'{"ServerURL":"%s","Username":"<token>","Secret":"t"}\' "$server"');
    helper('none', 'echo "credentials not found in native keychain"; exit 1');
    helper('broken', 'echo "keychain locked" >&2; exit 3');
    const env = (config: unknown) => ({ ...withConfig(config), PATH: `${bin}:${process.env.PATH}` });
    expect((await credentialsFor(host, env({ credHelpers: { [host]: 'good' } }))).credentials).toEqual({
      username: 'u',
      password: 's',
      origin: 'docker-credential-good',
    });
    expect((await credentialsFor(host, env({ credsStore: 'token' }))).credentials).toMatchObject({
      identityToken: 't',
    });
    expect((await credentialsFor(host, env({ credsStore: 'none' }))).problem).toBe(
      `docker-credential-none has no credentials for ${host}`,
    );
    expect((await credentialsFor(host, env({ credsStore: 'broken' }))).problem).toBe(
      'docker-credential-broken failed (exit 3): keychain locked',
    );
    expect((await credentialsFor(host, env({ credsStore: 'absent' }))).problem).toMatch(
      /^docker-credential-absent could not run: ENOENT/,
    );
    mkdirSync(join(bin, 'x'), { recursive: true });
  });
});
