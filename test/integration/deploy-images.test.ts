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
        parameter: 'ImageTagSite',
        repositoryName: `derived-${marker}-dev/site`,
      },
    ];
    const lines: string[] = [];
    const [local] = await makeImages(app, slots, { docker, onProgress: (l) => lines.push(l) });
    made.push(local!.imageId);
    expect(local!.source).toBe('derived');
    expect(lines.join('\n')).toMatch(/baking 2 file\(s\) into nginx:stable-bookworm/);

    const target = plainRegistry(REGISTRY);
    const [pushed] = await pushImages(docker, [local!], slots, target, () => undefined);
    expect(pushed!.pushed).toBe(true);
    expect(pushed!.digest).toMatch(/^sha256:/);
    // The registry-qualified tag is not left on the engine.
    await expect(docker.getImage(pushed!.reference).inspect()).rejects.toThrow();

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
    const [again] = await pushImages(docker, [local!], slots, target, () => undefined);
    expect([again!.pushed, again!.tag, again!.digest]).toEqual([false, pushed!.tag, pushed!.digest]);
  });
});
