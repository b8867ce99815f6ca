import { mkdtempSync, mkdirSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extract } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listContextFiles, packContext, serviceImageTag } from '../../../src/engine/build.js';
import type { AppModel, ServiceModel } from '../../../src/model/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shipshape-ctx-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, body = 'x') {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), body);
}

describe('listContextFiles', () => {
  it('honours .dockerignore with Docker semantics, always sending Dockerfile and .dockerignore', async () => {
    write('Dockerfile', 'FROM scratch');
    write('.dockerignore', 'node_modules\n*.log\nDockerfile\n.dockerignore\nsecret/\n!secret/public.txt\n');
    write('server.js');
    write('debug.log');
    write('node_modules/a/index.js');
    write('secret/key.pem');
    write('secret/public.txt');
    write('lib/deep/debug.log'); // `*.log` is anchored at the root in Docker, unlike .gitignore
    expect(await listContextFiles(dir)).toEqual([
      '.dockerignore',
      'Dockerfile',
      'lib/deep/debug.log',
      'secret/public.txt',
      'server.js',
    ]);
  });

  it('sends everything when there is no .dockerignore', async () => {
    write('Dockerfile');
    write('a/b.txt');
    expect(await listContextFiles(dir)).toEqual(['Dockerfile', 'a/b.txt']);
  });
});

describe('packContext', () => {
  it('produces a tar with the files, their modes and symlinks', async () => {
    write('Dockerfile', 'FROM scratch\n');
    write('run.sh', '#!/bin/sh\n');
    const fs = await import('node:fs/promises');
    await fs.chmod(path.join(dir, 'run.sh'), 0o755);
    symlinkSync('run.sh', path.join(dir, 'link'));
    const entries: { name: string; mode?: number; type?: string; body: string }[] = [];
    const ex = extract();
    ex.on('entry', (header, stream, next) => {
      let body = '';
      stream.on('data', (c: unknown) => {
        body += String(c);
      });
      stream.on('end', () => {
        entries.push({ name: header.name, mode: header.mode, type: header.type ?? undefined, body });
        next();
      });
    });
    const done = new Promise<void>((r) => ex.on('finish', () => r()));
    packContext(dir, ['Dockerfile', 'link', 'run.sh']).pipe(ex);
    await done;
    expect(entries.map((e) => e.name)).toEqual(['Dockerfile', 'link', 'run.sh']);
    expect(entries[0]!.body).toBe('FROM scratch\n');
    expect(entries[1]!.type).toBe('symlink');
    expect(entries[2]!.mode! & 0o777).toBe(0o755);
  });
});

describe('serviceImageTag', () => {
  it('makes a valid lower-case reference', () => {
    const tag = serviceImageTag({ name: 'Hello_LB' } as AppModel, { name: 'Web' } as ServiceModel);
    expect(tag).toBe('hello_lb-web:latest');
  });
  it('is the image: name for a service that also builds (compose tags the build so)', () => {
    const s = { name: 'web', image: 'registry.example.com/shop/web:2' } as ServiceModel;
    expect(serviceImageTag({ name: 'shop' } as AppModel, s)).toBe('registry.example.com/shop/web:2');
  });
});
