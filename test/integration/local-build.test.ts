import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServiceImage } from '../../src/engine/build.js';
import { LABELS, engine } from '../../src/engine/client.js';
import { loadApp } from '../../src/model/load.js';
import { ShipshapeError } from '../../src/model/errors.js';

const run = `b${process.pid}${Date.now().toString(36)}`;
let dir: string;
const tags: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shipshape-build-'));
  writeFileSync(
    path.join(dir, 'compose.yaml'),
    `name: ${run}\nservices:\n  ok:\n    build: {context: ., dockerfile: ok.Dockerfile, args: {GREETING: hi}}\n  broken:\n    build: {context: ., dockerfile: broken.Dockerfile}\n`,
  );
  writeFileSync(
    path.join(dir, 'ok.Dockerfile'),
    'FROM debian:bookworm-slim\nARG GREETING\nCOPY . /ctx\nRUN echo "$GREETING" > /greeting && ls /ctx > /listing\n',
  );
  writeFileSync(
    path.join(dir, 'broken.Dockerfile'),
    'FROM debian:bookworm-slim\nRUN echo about-to-fail && echo bad-thing-happened >&2 && exit 3\n',
  );
  writeFileSync(path.join(dir, 'kept.txt'), 'k');
  writeFileSync(path.join(dir, 'dropped.txt'), 'd');
  writeFileSync(path.join(dir, '.dockerignore'), 'dropped.txt\n');
});

afterAll(async () => {
  for (const t of tags)
    await engine()
      .getImage(t)
      .remove({ force: true })
      .catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('buildServiceImage on the real engine', () => {
  it('builds with args, honours .dockerignore, labels and tags the image, reports progress', async () => {
    const app = loadApp([], { cwd: dir, env: {} });
    const lines: string[] = [];
    const built = await buildServiceImage(
      app,
      app.services.find((s) => s.name === 'ok')!,
      {
        onProgress: (l) => lines.push(l),
      },
    );
    tags.push(built.tag);
    expect(built.tag).toBe(`${run}-ok:latest`);
    expect(built.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(lines.some((l) => /^Step 1\/\d+ : FROM debian:bookworm-slim/.test(l))).toBe(true);
    const info = await engine().getImage(built.tag).inspect();
    expect(info.Id).toBe(built.imageId);
    expect(info.Config.Labels?.[LABELS.app]).toBe(run);

    const c = await engine().createContainer({ Image: built.tag, Cmd: ['cat', '/greeting', '/listing'] });
    try {
      await c.start();
      await c.wait();
      const out = (await c.logs({ stdout: true, stderr: false })).toString('utf8');
      expect(out).toContain('hi');
      expect(out).toContain('kept.txt');
      expect(out).not.toContain('dropped.txt');
    } finally {
      await c.remove({ force: true });
    }
  });

  it('turns a failing step into a ShipshapeError with that step and its output', async () => {
    const app = loadApp([], { cwd: dir, env: {} });
    tags.push(`${run}-broken:latest`);
    const err = await buildServiceImage(
      app,
      app.services.find((s) => s.name === 'broken')!,
    ).catch((e) => e);
    expect(err).toBeInstanceOf(ShipshapeError);
    expect(err.message).toMatch(/Step 2\/\d+ : RUN echo about-to-fail/);
    expect(err.message).toContain('about-to-fail');
    expect(err.message).toMatch(/returned a non-zero code: 3/);
    expect(err.exitCode).toBe(1);
  });
});
