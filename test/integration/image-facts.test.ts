/**
 * Image facts from registries, through the shipped CLI: an image pushed to the dev-env registry
 * (127.0.0.1:5000) and removed from the engine is read without pulling it (user, ports, digest);
 * a private registry with htpasswd auth works through config.json `auths` and through a
 * credential helper; a multi-platform index gives the platform asked; a Docker Hub image comes
 * from a mirror; a dead registry gives a note, not a crash. The facts decide the user, the edges
 * and the cloud's pinned image.
 */
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shipshape, spawnShipshape, type CliOptions } from '../support/cli.js';

/** The CLI without blocking this process (a token service the test runs must answer meanwhile). */
function shipshapeAsync(
  args: string[],
  options: CliOptions,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawnShipshape(args, options);
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.resume();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}
import {
  LOCAL_REGISTRY,
  freePort,
  pushIndex,
  startPrivateRegistry,
  startTokenRegistry,
  type PrivateRegistry,
} from '../support/registry.js';

const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const repo = `shipshape-it-${runId}/facts`;
const image = `${LOCAL_REGISTRY}/${repo}:1`;
const LABEL = `io.shipshape.test=image-facts-${runId}`;
const tmp = mkdtempSync(join(tmpdir(), 'shipshape-facts-it-'));
const cache = join(tmp, 'cache');
let pushedDigest: string;
let privateRegistry: PrivateRegistry;
const USER = 'tester';
const PASSWORD = `pw-${runId}`;

function docker(args: string[], env: Record<string, string> = {}, input?: string): string {
  return execFileSync('docker', args, {
    env: { ...process.env, ...env },
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
    .toString()
    .trim();
}

/** A non-root image listening on two TCP ports and one UDP port, with a HEALTHCHECK. */
function buildFactsImage(tag: string, user = '1001:1001'): void {
  const ctx = join(tmp, `ctx-${user.replace(/\W/g, '')}`);
  mkdirSync(ctx, { recursive: true });
  writeFileSync(
    join(ctx, 'Dockerfile'),
    `FROM debian:bookworm-slim
${user ? `USER ${user}` : ''}
EXPOSE 8123 9000 9009/udp
HEALTHCHECK --interval=15s CMD ["true"]
CMD ["sleep", "infinity"]
`,
  );
  docker(['build', '-q', '--label', LABEL, '-t', tag, ctx]);
}

/** Push and remove from the engine; the digest the registry gave it. */
function pushAndForget(tag: string, env: Record<string, string> = {}): string {
  const out = docker(['push', tag], env);
  docker(['rmi', tag]);
  return /digest: (sha256:[0-9a-f]{64})/.exec(out)![1]!;
}

function project(name: string, compose: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'compose.yaml'), compose);
  return dir;
}

const env = (extra: Record<string, string> = {}) => ({
  XDG_CACHE_HOME: cache,
  DOCKER_CONFIG: join(tmp, 'no-docker-config'),
  ...extra,
});

function lockOf(dir: string): { images: Record<string, unknown>[] } {
  return parse(readFileSync(join(dir, 'shipshape.lock'), 'utf8')) as { images: Record<string, unknown>[] };
}

beforeAll(async () => {
  buildFactsImage(image);
  pushedDigest = pushAndForget(image);
  privateRegistry = await startPrivateRegistry(join(tmp, 'private'), USER, PASSWORD);
}, 300_000);

afterAll(async () => {
  await privateRegistry?.stop();
  try {
    const ids = docker(['images', '-q', '--filter', `label=${LABEL}`])
      .split('\n')
      .filter(Boolean);
    if (ids.length) docker(['rmi', '-f', ...new Set(ids)]);
  } catch {
    // nothing left
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('image facts from the local registry', () => {
  const compose = `services:
  api:
    image: ${image}
    environment:
      STORE_HOST: store
  store:
    image: ${image}
`;

  it('reads an image the engine does not have: user, ports, digest; pins it; the model uses them', () => {
    expect(() => docker(['image', 'inspect', image])).toThrow();
    const dir = project('local', compose);
    const r = shipshape(['config', '--update-lock', '--json'], { cwd: dir, env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`shipshape.lock: pinned ${image} (linux/amd64): ${pushedDigest}`);
    const [entry] = lockOf(dir).images;
    expect(entry).toMatchObject({
      image,
      platform: 'linux/amd64',
      digest: pushedDigest,
      from: 'registry',
      user: '1001:1001',
      ports: [8123, 9000],
      udpPorts: [9009],
      architecture: 'amd64',
    });
    // Still not pulled: only the manifest and the config blob were read.
    expect(() => docker(['image', 'inspect', image])).toThrow();
    expect(readdirSync(join(cache, 'shipshape', 'blobs', 'sha256'))).toHaveLength(1);

    const model = JSON.parse(r.stdout) as {
      services: Record<string, { intent: { user: { root: unknown; user: string }; listenPorts: number[] } }>;
      traffic: { from: string; to: string; ports: number[]; portsReason?: string }[];
      decisions: string[];
    };
    expect(model.services.store!.intent.user).toMatchObject({ root: false, user: '1001:1001' });
    expect(model.services.store!.intent.listenPorts).toEqual([8123, 9000]);
    const edge = model.traffic.find((e) => e.from === 'api' && e.to === 'store')!;
    expect(edge.ports).toEqual([8123, 9000]);
    expect(edge.portsReason).toBe('no port named: the ports store listens on (image EXPOSE 8123, 9000)');
    expect(model.decisions).toContain(
      'api → store on 8123, 9000 (STORE_HOST=store; no port named: the ports store listens on (image EXPOSE 8123, 9000))',
    );
    // A plain `config` reads the lock (offline) and says the same.
    const again = shipshape(['config', '--json'], { cwd: dir, env: env() });
    expect(JSON.parse(again.stdout).traffic).toEqual(model.traffic);
  });

  it('synth needs no acknowledgement for the non-root image, and the task definitions run the locked digest', () => {
    const dir = project('synth', compose);
    const without = shipshape(['synth', '-o', join(dir, 'out0')], { cwd: dir, env: env() });
    expect(without.code).toBe(2);
    expect(without.stderr).toMatch(/root-user/);

    expect(shipshape(['config', '--update-lock'], { cwd: dir, env: env() }).code).toBe(0);
    const r = shipshape(['synth', '--json', '-o', join(dir, 'out')], { cwd: dir, env: env() });
    expect(r.code, r.stderr).toBe(0);
    // Deploy copies the locked digest into the app's registry; the tasks run it by digest.
    const slots = (
      JSON.parse(r.stdout) as { imageSlots: { service: string; parameter: string; source: unknown }[] }
    ).imageSlots;
    const serviceSlots = slots.filter((x) => x.service === 'api' || x.service === 'store');
    expect(serviceSlots).toHaveLength(2);
    for (const slot of serviceSlots)
      expect(slot.source).toEqual({ kind: 'copy', image: `${image}@${pushedDigest}` });
    const template = parse(readFileSync(join(dir, 'out', 'synth-dev.template.yaml'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const tasks = Object.values(template.Resources).filter((x) => x.Type === 'AWS::ECS::TaskDefinition');
    expect(tasks).toHaveLength(2);
    for (const t of tasks) {
      const [container] = t.Properties.ContainerDefinitions as Record<string, unknown>[];
      const joined = JSON.stringify(container!.Image);
      expect(joined).toMatch(/\.dkr\.ecr\./);
      expect(serviceSlots.some((x) => joined.includes(`{"Ref":"${x.parameter}"}`))).toBe(true);
      expect(container!.User).toBe('1001:1001');
      expect(container!.HealthCheck).toMatchObject({ Command: ['CMD', 'true'], Interval: 15 });
      expect(t.Properties.RuntimePlatform).toMatchObject({ CpuArchitecture: 'X86_64' });
    }
  });

  it('prints what changed when the tag moves, and keeps the old pin until --update-lock', () => {
    const tag = `${LOCAL_REGISTRY}/${repo}:moving`;
    buildFactsImage(tag);
    const first = pushAndForget(tag);
    const dir = project('moving', `services:\n  app:\n    image: ${tag}\n    user: "1001"\n`);
    expect(shipshape(['config', '--update-lock'], { cwd: dir, env: env() }).code).toBe(0);
    buildFactsImage(tag, '');
    const second = pushAndForget(tag);
    // Without --update-lock, the lock is read, never refreshed.
    const plain = shipshape(['config', '--json'], { cwd: dir, env: env() });
    expect(JSON.parse(plain.stdout).services.app.intent.cloudImage.pinned).toBe(`${tag}@${first}`);
    const r = shipshape(['config', '--update-lock'], { cwd: dir, env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `shipshape.lock: changed ${tag} (linux/amd64): digest ${first.slice(0, 19)}… → ${second.slice(0, 19)}…; user "1001:1001" → ""`,
    );
    expect(lockOf(dir).images[0]).toMatchObject({ digest: second, user: '' });
  });

  it('resolves a multi-platform index for the platform asked (linux/amd64, or compose platform: linux/arm64)', async () => {
    const multi = `shipshape-it-${runId}/multi`;
    const pushed = await pushIndex(LOCAL_REGISTRY, multi, '1', [
      { architecture: 'amd64', user: '1001', ports: [8080] },
      { architecture: 'arm64', user: '2002', ports: [9090] },
    ]);
    const ref = `${LOCAL_REGISTRY}/${multi}:1`;
    const dir = project(
      'multi',
      `services:\n  x86:\n    image: ${ref}\n  arm:\n    image: ${ref}\n    platform: linux/arm64\n`,
    );
    const r = shipshape(['config', '--update-lock', '--json'], { cwd: dir, env: env() });
    expect(r.code, r.stderr).toBe(0);
    const entries = lockOf(dir).images;
    expect(entries.map((e) => [e.platform, e.digest, e.user, e.ports, e.architecture])).toEqual([
      ['linux/amd64', pushed.index, '1001', [8080], 'amd64'],
      ['linux/arm64', pushed.index, '2002', [9090], 'arm64'],
    ]);
    const services = JSON.parse(r.stdout).services;
    expect(services.arm.intent.platform).toMatchObject({ architecture: 'arm64' });
    expect(services.arm.intent.user.user).toBe('2002');
    expect(services.x86.intent.platform).toMatchObject({ architecture: 'amd64' });
    const missing = project('no-s390x', `services:\n  z:\n    image: ${ref}\n    platform: linux/s390x\n`);
    const z = shipshape(['config', '--update-lock'], { cwd: missing, env: env() });
    expect(z.code).toBe(0);
    expect(z.stderr).toContain(`has no linux/s390x image (it has linux/amd64, linux/arm64)`);
  });

  it('reads a Docker Hub image through a registry mirror (SHIPSHAPE_REGISTRY_MIRRORS)', () => {
    const dir = project('mirror', `services:\n  app:\n    image: ${repo}:1\n`);
    const r = shipshape(['config', '--update-lock'], {
      cwd: dir,
      env: env({ SHIPSHAPE_REGISTRY_MIRRORS: `http://${LOCAL_REGISTRY}` }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(lockOf(dir).images[0]).toMatchObject({
      image: `${repo}:1`,
      digest: pushedDigest,
      user: '1001:1001',
    });
  });
});

describe('private registries and unreachable ones', () => {
  let privateImage: string;
  let privateDigest: string;
  const loginConfig = join(tmp, 'docker-login');

  beforeAll(() => {
    privateImage = `${privateRegistry.host}/team/facts:1`;
    buildFactsImage(privateImage);
    // `docker login` into a config directory of the test's own: it writes a base64 `auth` entry.
    docker(
      ['login', '-u', USER, '--password-stdin', privateRegistry.host],
      { DOCKER_CONFIG: loginConfig },
      PASSWORD,
    );
    privateDigest = pushAndForget(privateImage, { DOCKER_CONFIG: loginConfig });
  });

  const compose = () => `services:\n  app:\n    image: ${privateImage}\n`;

  it('uses the credentials `docker login` wrote to config.json (auths)', () => {
    const config = JSON.parse(readFileSync(join(loginConfig, 'config.json'), 'utf8'));
    expect(config.auths[privateRegistry.host].auth).toBeTruthy();
    const dir = project('private-auths', compose());
    const r = shipshape(['config', '--update-lock'], { cwd: dir, env: env({ DOCKER_CONFIG: loginConfig }) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(lockOf(dir).images[0]).toMatchObject({ digest: privateDigest, user: '1001:1001' });
  });

  it('uses a credential helper (credHelpers → docker-credential-NAME get)', () => {
    const bin = join(tmp, 'bin');
    mkdirSync(bin, { recursive: true });
    const helper = join(bin, 'docker-credential-shipshapetest');
    writeFileSync(
      helper,
      `#!/bin/sh
[ "$1" = get ] || exit 1
read server
[ "$server" = "${privateRegistry.host}" ] || { echo "credentials not found in native keychain"; exit 1; }
printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server"
`,
    );
    chmodSync(helper, 0o755);
    const config = join(tmp, 'helper-config');
    mkdirSync(config, { recursive: true });
    writeFileSync(
      join(config, 'config.json'),
      JSON.stringify({ credHelpers: { [privateRegistry.host]: 'shipshapetest' } }),
    );
    const dir = project('private-helper', compose());
    const r = shipshape(['config', '--update-lock'], {
      cwd: dir,
      env: env({ DOCKER_CONFIG: config, PATH: `${bin}:${process.env.PATH}` }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(lockOf(dir).images[0]).toMatchObject({ digest: privateDigest });
  });

  it('says which registry refused and why, and assumes the facts (root stays unknown)', () => {
    const config = join(tmp, 'wrong-config');
    mkdirSync(config, { recursive: true });
    const auth = Buffer.from(`${USER}:wrong`).toString('base64');
    writeFileSync(
      join(config, 'config.json'),
      JSON.stringify({ auths: { [privateRegistry.host]: { auth } } }),
    );
    const dir = project('private-wrong', compose());
    const r = shipshape(['config', '--update-lock', '--json'], {
      cwd: dir,
      env: env({ DOCKER_CONFIG: config }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `note: ${privateImage} (linux/amd64): registry ${privateRegistry.host}: the registry refused the credentials from ${join(config, 'config.json')} auths (HTTP 401); its facts are assumed`,
    );
    expect(existsSync(join(dir, 'shipshape.lock'))).toBe(false);
    const app = JSON.parse(r.stdout).services.app;
    expect(app.intent.user.root).toBe('unknown');
    expect(app.intent.imageFacts.reason).toMatch(/^image facts assumed: .* is not in shipshape.lock/);
    const anonymous = shipshape(['config', '--update-lock'], { cwd: dir, env: env() });
    expect(anonymous.stderr).toMatch(
      /the registry wants credentials \(HTTP 401\): no credentials for 127\.0\.0\.1:\d+ in /,
    );
  });

  it("gets a Bearer token from the realm a token-auth registry names (Docker Hub's flow)", async () => {
    const tokenRegistry = await startTokenRegistry(join(tmp, 'token'), USER, PASSWORD);
    try {
      const tokenImage = `${tokenRegistry.host}/team/facts:1`;
      buildFactsImage(tokenImage);
      const login = join(tmp, 'token-login');
      // The token service answers in this process: the docker CLI must not block it (no execFileSync).
      const dockerAsync = (args: string[], input?: string) =>
        new Promise<string>((resolve, reject) => {
          const child = execFile(
            'docker',
            args,
            { env: { ...process.env, DOCKER_CONFIG: login } },
            (e, out) => (e ? reject(e) : resolve(out)),
          );
          child.stdin?.end(input ?? '');
        });
      await dockerAsync(['login', '-u', USER, '--password-stdin', tokenRegistry.host], PASSWORD);
      const pushed = await dockerAsync(['push', tokenImage]);
      docker(['rmi', tokenImage]);
      const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)![1]!;
      const dir = project('token', `services:\n  app:\n    image: ${tokenImage}\n`);
      const r = await shipshapeAsync(['config', '--update-lock'], {
        cwd: dir,
        env: env({ DOCKER_CONFIG: login }),
      });
      expect(r.code, r.stderr).toBe(0);
      expect(lockOf(dir).images[0]).toMatchObject({ digest, user: '1001:1001', ports: [8123, 9000] });
      const anonymous = await shipshapeAsync(['config', '--update-lock'], {
        cwd: project('token-anon', `services:\n  app:\n    image: ${tokenImage}\n`),
        env: env(),
      });
      expect(anonymous.stderr).toMatch(
        /its token service http:\/\/127\.0\.0\.1:\d+ refused an anonymous token \(HTTP 401\); its facts are assumed/,
      );
    } finally {
      await tokenRegistry.stop();
    }
  });

  it('gives a note, not a crash, when the registry is unreachable', async () => {
    const port = await freePort();
    const dir = project('offline', `services:\n  app:\n    image: 127.0.0.1:${port}/team/app:1\n`);
    const r = shipshape(['config', '--update-lock'], { cwd: dir, env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `note: 127\\.0\\.0\\.1:${port}/team/app:1 \\(linux/amd64\\): registry 127\\.0\\.0\\.1:${port}: not reachable \\(ECONNREFUSED`,
      ),
    );
    expect(r.stdout).toContain('image facts assumed');
    expect(r.stdout).toContain('app runs as root unless the image says otherwise');
  });
});
