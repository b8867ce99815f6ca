/**
 * Deploy's images on the real Docker engine and the real local registry (127.0.0.1:5000): a
 * derived service (an `image:` plus project files the model bakes in) becomes FROM image + COPY,
 * is tagged by content and pushed; pulling the digest back gives the same image, with the files
 * at their targets. A second push of the same content sends nothing.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { makeImages, plainRegistry, pushImages } from '../../src/deploy/images.js';
import { loadApp } from '../../src/model/load.js';
import { composeDir } from '../support/compose-dir.js';

const REGISTRY = process.env.SHIPSHAPE_REGISTRY_HOST ?? '127.0.0.1:5000';
const docker = new Docker();
const made: string[] = [];
afterAll(async () => {
  for (const id of made)
    await docker
      .getImage(id)
      .remove({ force: true })
      .catch(() => undefined);
});

async function fileInImage(image: string, path: string): Promise<string> {
  const c = await docker.createContainer({
    Image: image,
    Entrypoint: ['cat'],
    Cmd: [path],
    Labels: { 'io.shipshape.role': 'test' },
  });
  try {
    await c.start();
    await c.wait();
    const logs = (await c.logs({ stdout: true, stderr: true })) as Buffer;
    // Multiplexed stream: drop the 8-byte frame headers.
    let out = '';
    for (let i = 0; i < logs.length;) {
      const size = logs.readUInt32BE(i + 4);
      out += logs.subarray(i + 8, i + 8 + size).toString('utf8');
      i += 8 + size;
    }
    return out;
  } finally {
    await c.remove({ force: true });
  }
}

describe('derived images', () => {
  it('bakes bind-mounted project files into FROM image + COPY, pushes by content, pulls back identical', async () => {
    const marker = randomBytes(6).toString('hex');
    const dir = composeDir({
      'compose.yaml': `name: derived-${marker}
services:
  site:
    image: nginx:stable-bookworm
    user: "101"
    ports: ["8080:8080"]
    volumes:
      - ./nginx.conf:/etc/nginx/conf.d/default.conf:ro
      - ./html:/usr/share/nginx/html:ro
`,
      'nginx.conf': `# ${marker}\nserver { listen 8080; root /usr/share/nginx/html; }\n`,
      'html/index.html': `<h1>${marker}</h1>\n`,
    });
    const app = loadApp([`${dir}/compose.yaml`], { env: {} });
    const site = app.services[0]!;
    expect(site.intent.cloudImage.kind).toBe('derived');
    const slots = [
      {
        service: 'site',
        stackName: 's',
        parameter: 'ImageDigestSite',
        repositoryName: `derived-${marker}-dev/site`,
        source: { kind: 'service' as const },
      },
    ];
    const lines: string[] = [];
    const base = (await docker.getImage('nginx:stable-bookworm').inspect()).Id;
    const [local] = await makeImages(app, slots, { docker, onProgress: (l) => lines.push(l) });
    made.push(local!.imageId);
    // The base keeps its name: the derived image is tagged on its own, not as the `image:` it bakes.
    expect((await docker.getImage('nginx:stable-bookworm').inspect()).Id).toBe(base);
    expect(local!.imageId).not.toBe(base);
    expect(local!.source).toBe('derived');
    expect(lines.join('\n')).toMatch(/baking 2 file\(s\) into nginx:stable-bookworm/);

    const target = plainRegistry(REGISTRY);
    const [pushed] = await pushImages(docker, [local!], target, () => undefined);
    expect(pushed!.pushed).toBe(true);
    expect(pushed!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pushed!.reference).toBe(`${REGISTRY}/${slots[0]!.repositoryName}@${pushed!.digest}`);
    // The registry-qualified tag is not left on the engine.
    await expect(
      docker.getImage(`${REGISTRY}/${slots[0]!.repositoryName}:${pushed!.tag}`).inspect(),
    ).rejects.toThrow();

    const byDigest = `${REGISTRY}/${slots[0]!.repositoryName}@${pushed!.digest}`;
    const stream = await docker.pull(byDigest);
    await new Promise((res, rej) =>
      docker.modem.followProgress(stream, (e) => (e ? rej(e) : res(undefined))),
    );
    expect((await docker.getImage(byDigest).inspect()).Id).toBe(local!.imageId);
    expect(await fileInImage(byDigest, '/etc/nginx/conf.d/default.conf')).toContain(marker);
    expect(await fileInImage(byDigest, '/usr/share/nginx/html/index.html')).toContain(marker);
    await docker
      .getImage(byDigest)
      .remove({ noprune: true })
      .catch(() => undefined);

    // Same content, same tag: nothing is sent again, the registry's digest is reported.
    const [again] = await pushImages(docker, [local!], target, () => undefined);
    expect([again!.pushed, again!.tag, again!.digest]).toEqual([false, pushed!.tag, pushed!.digest]);
  });
});

describe('copied images (image-only services and helpers)', () => {
  it("copies the engine's image into the app's repository; the digest pulls back the same image", async () => {
    const marker = randomBytes(6).toString('hex');
    const app = loadApp([], {
      cwd: composeDir({
        'compose.yaml': `name: copy-${marker}\nservices:\n  proxy:\n    image: nginx:stable-bookworm\n    user: '101'\n`,
      }),
      env: {},
    });
    const repositoryName = `copy-${marker}-dev/proxy`;
    const slot = (stackName: string) => ({
      service: 'proxy',
      stackName,
      parameter: 'ImageDigestProxy',
      repositoryName,
      source: { kind: 'copy' as const, image: 'nginx:stable-bookworm' },
    });
    const lines: string[] = [];
    // Two stacks name the same image: it is made and pushed once.
    const local = await makeImages(app, [slot('a'), slot('b')], { docker, onProgress: (l) => lines.push(l) });
    expect(local).toEqual([
      {
        service: 'proxy',
        repositoryName,
        imageId: (await docker.getImage('nginx:stable-bookworm').inspect()).Id,
        source: 'copy',
      },
    ]);
    expect(lines).toContain("proxy: copying nginx:stable-bookworm into the app's registry");
    const [pushed] = await pushImages(docker, local, plainRegistry(REGISTRY), () => undefined);
    expect(pushed!.reference).toBe(`${REGISTRY}/${repositoryName}@${pushed!.digest}`);
    const stream = await docker.pull(pushed!.reference);
    await new Promise((res, rej) =>
      docker.modem.followProgress(stream, (e) => (e ? rej(e) : res(undefined))),
    );
    expect((await docker.getImage(pushed!.reference).inspect()).Id).toBe(local[0]!.imageId);
    await docker
      .getImage(pushed!.reference)
      .remove({ noprune: true })
      .catch(() => undefined);
  });

  it('an image neither on the engine nor pullable stops the deploy with the fix (exit 3)', async () => {
    const app = loadApp([], {
      cwd: composeDir({ 'compose.yaml': 'name: nope\nservices:\n  x:\n    image: 127.0.0.1:9/none:1\n' }),
      env: {},
    });
    const slots = [
      {
        service: 'x',
        stackName: 's',
        parameter: 'ImageDigestX',
        repositoryName: 'nope-dev/x',
        source: { kind: 'copy' as const, image: '127.0.0.1:9/none:1' },
      },
    ];
    await expect(makeImages(app, slots, { docker, onProgress: () => undefined })).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(
        /image 127\.0\.0\.1:9\/none:1 is not on this machine and could not be pulled/,
      ),
    });
  });
});
