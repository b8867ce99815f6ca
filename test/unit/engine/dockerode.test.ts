/**
 * src/engine/dockerode.ts loads dockerode without gRPC, ssh2 and tar-fs, which only BuildKit
 * sessions, ssh:// engines, directory build contexts and hijacked streams need, and loads each on first use. Run in a
 * fresh process so nothing else has loaded them already.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');

const SCRIPT = `
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Docker from './src/engine/dockerode.ts';
const require = createRequire(import.meta.url);
const has = (pkg) => Object.keys(require.cache).some((k) => k.includes('/node_modules/' + pkg + '/'));
const out = {
  afterImport: { grpc: has('@grpc/grpc-js'), ssh2: has('ssh2'), tarStream: has('tar-stream'), readableStream: has('readable-stream') },
};
out.client = typeof new Docker({ socketPath: '/nonexistent.sock' }).listContainers;
// dockerode packs a directory build context with tar-fs: the stand-in loads it and packs for real.
const dir = mkdtempSync(join(tmpdir(), 'shipshape-ctx-'));
writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\\n');
const { prepareBuildContext } = require('dockerode/lib/util.js');
const gz = await new Promise((resolve, reject) => {
  prepareBuildContext({ context: dir, src: ['Dockerfile'] }, (stream) => {
    const chunks = [];
    stream.on('data', (d) => chunks.push(d)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
});
const tar = gunzipSync(gz).toString('latin1');
out.packed = tar.includes('Dockerfile') && tar.includes('FROM scratch');
out.afterPack = { tarStream: has('tar-stream') };
// docker-modem wraps hijacked streams in new HttpDuplex(req, res): the stand-in constructs the real one.
const HttpDuplex = require(join(require.resolve('docker-modem'), '../http_duplex.js'));
const { PassThrough } = await import('node:stream');
const duplex = new HttpDuplex(new PassThrough(), new PassThrough());
out.duplex = { real: duplex instanceof require('readable-stream').Duplex, readableStream: has('readable-stream') };
process.stdout.write(JSON.stringify(out));
`;

describe('dockerode, light', () => {
  it('leaves gRPC, ssh2, tar-fs and readable-stream unloaded until used, then works as before', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', SCRIPT],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      afterImport: { grpc: false, ssh2: false, tarStream: false, readableStream: false },
      client: 'function',
      packed: true,
      afterPack: { tarStream: true },
      duplex: { real: true, readableStream: true },
    });
  });
});
