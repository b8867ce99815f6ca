/**
 * Which image a service is, decided once: a service with `build:` and `image:` is built and tagged
 * as its `image:` name (compose's rule), and `slim`, `check` and `sbom` find it under that name.
 * slim probes only the ports the service declares (or, for an image, the EXPOSEd ports something
 * listens on), and names in missed.txt a module the slim image lacks though nothing failed to
 * open it. Through the shipped CLI, on the real engine.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shipshape } from '../support/cli.js';

const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const image = `shipshape-svc-it-${runId}/web:1`;
const tmp = mkdtempSync(join(tmpdir(), 'shipshape-svc-it-'));
const project = join(tmp, 'shop');
const tags: string[] = [];

function docker(args: string[]): string {
  return execFileSync('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();
}
const exists = (ref: string) => {
  try {
    docker(['image', 'inspect', ref]);
    return true;
  } catch {
    return false;
  }
};

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

beforeAll(() => {
  write(
    join(project, 'web/server.js'),
    "require('http').createServer((q, s) => s.end('ok\\n')).listen(8080);\n",
  );
  // 9999 is EXPOSEd but nothing listens on it.
  write(
    join(project, 'web/Dockerfile'),
    'FROM node:20-bookworm-slim\nWORKDIR /app\nCOPY server.js .\nUSER node\nEXPOSE 8080 9999\nCMD ["node", "server.js"]\n',
  );
  write(
    join(project, 'compose.yaml'),
    `services:
  web:
    build: ./web
    image: ${image}
    ports: ["8080"]
  worker:
    image: ${image}
    command: ["node", "-e", "setInterval(() => {}, 1e6)"]
`,
  );
  tags.push(image, image.replace(/:1$/, ':1-slim'), 'shop-web:latest', 'shop-web:slim');
});

afterAll(() => {
  for (const t of tags) if (exists(t)) docker(['rmi', '-f', t]);
  rmSync(tmp, { recursive: true, force: true });
});

describe('a service with build: and image:', () => {
  it('slim builds and tags the image: name, probes only the declared port, and records the right source', () => {
    const r = shipshape(['slim', 'web', '--timeout', '30', '--json'], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { source: string; tag: string; probes: { name: string }[] };
    expect(report.source).toBe(image);
    expect(report.tag).toBe(`${image}-slim`);
    expect(report.probes.map((p) => p.name)).toEqual(['GET / on port 8080']);
    expect(exists(image)).toBe(true);
    expect(exists('shop-web:latest')).toBe(false);
    const labels = JSON.parse(docker(['image', 'inspect', '-f', '{{json .Config.Labels}}', `${image}-slim`]));
    expect(labels['io.shipshape.slim.source']).toBe(image);
  }, 300_000);

  it('check reads the built and the slim image under their names', () => {
    const r = shipshape(['check', 'web', '--only', 'image', '--format', 'json', '--fail-on', 'high'], {
      cwd: project,
    });
    expect([0, 4]).toContain(r.code);
    const result = JSON.parse(r.stdout) as { images: { kind: string; ref: string }[]; notes: string[] };
    expect(result.images.map((i) => [i.kind, i.ref])).toEqual([
      ['built', image],
      ['slim', `${image}-slim`],
    ]);
    expect(result.notes.join('\n')).not.toMatch(/not on this engine/);
  });

  it('sbom reads the image: name', () => {
    const out = join(tmp, 'web.cdx.json');
    const r = shipshape(['sbom', 'web', '-o', out], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    const bom = JSON.parse(readFileSync(out, 'utf8')) as { metadata: { component: { name: string } } };
    expect(JSON.stringify(bom.metadata.component)).toContain(image.split(':')[0]!);
    expect(r.stderr).not.toMatch(/not on this engine/);
  });
});

describe('slim on an image', () => {
  it('succeeds although the image EXPOSEs a port nothing listens on', () => {
    const tag = `shipshape-svc-it-${runId}/web:exposed-slim`;
    tags.push(tag);
    const r = shipshape(['slim', image, '--tag', tag, '--timeout', '30'], { cwd: tmp });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'port 9999 is EXPOSEd but nothing listens on it; not probed (choose ports with --port)',
    );
    expect(exists(tag)).toBe(true);
  }, 300_000);

  it('names in missed.txt a Python module the slim image lacks, though nothing failed to open it', () => {
    const ctx = join(tmp, 'py');
    write(join(ctx, 'helper.py'), 'GREETING = "hi"\n');
    write(
      join(ctx, 'app.py'),
      [
        'import http.server',
        'import helper',
        'class H(http.server.BaseHTTPRequestHandler):',
        '    def do_GET(self):',
        '        self.send_response(200)',
        '        self.end_headers()',
        '        self.wfile.write(helper.GREETING.encode())',
        'http.server.HTTPServer(("", 8000), H).serve_forever()',
        '',
      ].join('\n'),
    );
    write(
      join(ctx, 'Dockerfile'),
      'FROM python:3.11-slim-bookworm\nCOPY app.py helper.py /app/\nENV PYTHONDONTWRITEBYTECODE=1\nUSER 1000\nEXPOSE 8000\nCMD ["python", "/app/app.py"]\n',
    );
    const py = `shipshape-svc-it-${runId}/py:1`;
    tags.push(py);
    docker(['build', '-q', '-t', py, ctx]);
    const reports = join(tmp, 'reports');
    const r = shipshape(
      ['slim', py, '--exclude', '/app/helper.py', '--report-dir', reports, '--timeout', '20'],
      { cwd: tmp },
    );
    expect(r.code, r.stderr).toBe(4);
    const [folder] = readdirSync(reports);
    const trace = readFileSync(join(reports, folder!, 'trace.log'), 'utf8');
    // The original opened it; the slim run never tried (its importer lists /app first).
    expect(trace).toMatch(/"\/app\/helper\.py"/);
    const missed = readFileSync(join(reports, folder!, 'missed.txt'), 'utf8').split('\n');
    expect(missed).toContain('/app/helper.py');
    expect(readFileSync(join(reports, folder!, 'logs.txt'), 'utf8')).toMatch(/No module named 'helper'/);
  }, 300_000);
});
