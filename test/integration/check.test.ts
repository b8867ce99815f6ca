/**
 * `check` (image rules), `sbom` and `report` against one real image built from the offline
 * node:20-bookworm-slim stand-in, plus an emulated slim image of it, read through the engine.
 * The report is opened in Debian's chromium through playwright-core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engine } from '../../src/engine/client.js';
import { IMAGE_READ_LABEL } from '../../src/engine/image-read.js';
import { ExitCode, ShipshapeError } from '../../src/model/errors.js';
import { loadApp } from '../../src/model/load.js';
import type { AppModel } from '../../src/model/types.js';
import { runCheck, type CheckResult } from '../../src/policy/check.js';
import { gatherReport } from '../../src/report/data.js';
import { renderReport } from '../../src/report/html.js';
import { serviceSbom } from '../../src/sbom/sbom.js';
import { shipshape } from '../support/cli.js';

const docker = engine();
const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`;
const repo = `shipshape-check-it-${runId}`;
const LABEL = `io.shipshape.test=check-${runId}`;
const ARTIFACTS = resolve(process.env.SHIPSHAPE_TEST_ARTIFACTS ?? 'test-artifacts');
const GO = ['/usr/local/go/bin/go', '/usr/lib/go/bin/go'].find(existsSync);
const KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nZmFrZSBrZXkgZm9yIGEgdGVzdA==\n-----END OPENSSH PRIVATE KEY-----\n';

let dir: string;
let app: AppModel;
let sourceId: string;

function write(path: string, content: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

function build(context: string, tag: string): string {
  execFileSync('docker', ['build', '-q', '--label', LABEL, '-t', tag, context], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return execFileSync('docker', ['image', 'inspect', '-f', '{{.Id}}', tag]).toString().trim();
}

/** The bad image: a setuid helper, a world-writable dir, a private key, an npm token, a token in ENV, Python and Go packages. */
function buildSource(): string {
  const ctx = join(dir, 'image');
  write(join(ctx, 'rootfs/app/deploy_key'), KEY);
  write(join(ctx, 'rootfs/root/.npmrc'), '//registry.npmjs.org/:_authToken=npm_not_a_real_token\n');
  const site = 'rootfs/usr/lib/python3/dist-packages';
  write(join(ctx, site, 'demo-1.0.dist-info/METADATA'), 'Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n');
  write(join(ctx, site, 'demo-1.0.dist-info/RECORD'), 'demo/__init__.py,,\ndemo-1.0.dist-info/METADATA,,\n');
  write(join(ctx, site, 'demo/__init__.py'), 'VERSION = "1.0"\n');
  if (GO) {
    const src = join(dir, 'gosrc');
    write(join(src, 'go.mod'), 'module example.com/hello\n\ngo 1.21\n');
    write(join(src, 'main.go'), 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hello") }\n');
    mkdirSync(join(ctx, 'rootfs/usr/local/bin'), { recursive: true });
    execFileSync(GO, ['build', '-o', join(ctx, 'rootfs/usr/local/bin/hello'), '.'], {
      cwd: src,
      env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' },
    });
  }
  write(
    join(ctx, 'Dockerfile'),
    `FROM node:20-bookworm-slim
COPY rootfs/ /
RUN cp /usr/bin/true /usr/local/bin/helper && chmod 4755 /usr/local/bin/helper && mkdir -p /srv/shared && chmod 0777 /srv/shared
ENV API_TOKEN=not-a-real-token
CMD ["node", "-e", "setInterval(() => {}, 1e6)"]
`,
  );
  return build(ctx, `${repo}:1`);
}

/** What `shipshape slim` would leave: a few files FROM scratch, a non-root user, the source label. */
function buildSlim(id: string): void {
  const ctx = join(dir, 'slim');
  write(
    join(ctx, 'Dockerfile'),
    `FROM ${repo}:1 AS source
FROM scratch
COPY --from=source /etc/debian_version /etc/debian_version
COPY --from=source /usr/lib/python3/dist-packages/demo/__init__.py /usr/lib/python3/dist-packages/demo/__init__.py
${GO ? 'COPY --from=source /usr/local/bin/hello /usr/local/bin/hello' : ''}
LABEL io.shipshape.slim.source="${repo}:1" io.shipshape.slim.source-digest="${id}"
USER 65532:65532
CMD ["/usr/local/bin/hello"]
`,
  );
  build(ctx, `${repo}:1-slim`);
}

async function readContainers(): Promise<number> {
  return (await docker.listContainers({ all: true, filters: JSON.stringify({ label: [IMAGE_READ_LABEL] }) }))
    .length;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shipshape-check-it-'));
  sourceId = buildSource();
  buildSlim(sourceId);
  write(
    join(dir, 'compose.yaml'),
    `x-shipshape:
  name: ${repo}
  acknowledge:
    - rule: root-user
      reason: the vendor image runs as root (integration test)
services:
  app:
    image: ${repo}:1
    ports: ['127.0.0.1:8080:8080']
    environment:
      DATABASE_URL: postgres://db:5432/app
  db:
    image: postgres:16
  worker:
    image: ${repo}:not-built
`,
  );
  app = loadApp([join(dir, 'compose.yaml')], { env: {} });
}, 300_000);

afterAll(async () => {
  for (const img of await docker.listImages({ filters: JSON.stringify({ label: [LABEL] }) }))
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  expect((await docker.listImages({ filters: JSON.stringify({ label: [LABEL] }) })).length).toBe(0);
});

describe('check: image rules on real images', () => {
  let result: CheckResult;
  beforeAll(async () => {
    result = await runCheck(app, { families: ['image'] });
  });

  it('reads the built and the slim image without leaving a container behind', async () => {
    expect(result.images.map((i) => [i.service, i.kind, i.ref])).toEqual([
      ['app', 'built', `${repo}:1`],
      ['app', 'slim', `${repo}:1-slim`],
    ]);
    const [built, slim] = result.images;
    expect(built!.size).toBeGreaterThan(slim!.size * 10);
    expect(built!.layers).toBeGreaterThan(slim!.layers);
    expect(slim!.user).toBe('65532:65532');
    expect(await readContainers()).toBe(0);
  });

  it('finds what the bad image holds, each located at the compose image line', () => {
    const built = result.findings.filter((f) => f.message.startsWith(`image ${repo}:1:`));
    const msg = (id: string) =>
      built
        .filter((f) => f.ruleId === id)
        .map((f) => [f.message, ...(f.details ?? [])].join('\n'))
        .join('\n');
    expect(msg('SS-IMAGE-001')).toContain('/usr/local/bin/helper');
    expect(msg('SS-IMAGE-002')).toContain('/usr/bin/bash');
    expect(msg('SS-IMAGE-003')).toContain('/usr/bin/apt-get');
    expect(msg('SS-IMAGE-004')).toContain('/srv/shared');
    expect(msg('SS-IMAGE-005')).toContain('/app/deploy_key');
    expect(msg('SS-IMAGE-006')).toContain('/root/.npmrc');
    expect(msg('SS-IMAGE-007')).toContain('API_TOKEN');
    expect(msg('SS-IMAGE-008')).toContain('runs as root');
    for (const f of built) expect([f.location.file, f.location.line]).toEqual([join(dir, 'compose.yaml'), 8]);
  });

  it('finds nothing in the slim image (no shell, package manager, setuid file or root user)', () => {
    expect(result.findings.filter((f) => f.message.startsWith('slim image'))).toEqual([]);
  });

  it('notes an image that is not built instead of failing', () => {
    expect(result.notes.join('\n')).toContain(`worker: image ${repo}:not-built is not on this engine`);
  });
});

describe('sbom on real images', () => {
  const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);

  it('lists the OS, npm, Python and Go packages of the built image as valid CycloneDX', async () => {
    const r = await serviceSbom(app, 'app');
    expect(r.image.id).toBe(sourceId);
    expect(r.counts.deb).toBeGreaterThan(50);
    expect(r.counts.npm).toBeGreaterThan(50);
    expect(r.counts.pypi).toBe(1);
    if (GO)
      expect(r.packages.filter((p) => p.ecosystem === 'golang').map((p) => p.name)).toEqual([
        'example.com/hello',
        'stdlib',
      ]);
    expect(await validator.validate(r.json)).toBeNull();
    const purls = (JSON.parse(r.json) as { components: { purl: string }[] }).components.map((c) => c.purl);
    expect(purls).toContain('pkg:pypi/demo@1.0');
    expect(purls.some((p) => p.startsWith('pkg:npm/npm@'))).toBe(true);
    expect(purls.some((p) => /^pkg:deb\/debian\/libc6@.*distro=debian-12/.test(p))).toBe(true);
  });

  it('lists for the slim image only the packages it kept files of', async () => {
    const r = await serviceSbom(app, 'app', { slim: true });
    expect(r.source?.id).toBe(sourceId);
    expect(r.source!.packages).toBeGreaterThan(100);
    expect(r.packages.map((p) => `${p.ecosystem}:${p.name}`).sort()).toEqual(
      ['deb:base-files', 'pypi:demo', ...(GO ? ['golang:example.com/hello', 'golang:stdlib'] : [])].sort(),
    );
    expect(await validator.validate(r.json)).toBeNull();
    expect(await readContainers()).toBe(0);
  });

  it('says which image is missing, exit 3', async () => {
    const err = (await serviceSbom(app, 'db').catch((e: unknown) => e)) as ShipshapeError;
    expect(err).toBeInstanceOf(ShipshapeError);
    expect(err.exitCode).toBe(ExitCode.environment);
    expect(err.message).toBe('image postgres:16 is not on this engine');
    expect(shipshape(['-f', join(dir, 'compose.yaml'), '-q', 'sbom', 'nope']).code).toBe(ExitCode.usage);
  });
});

describe('report in a real browser', () => {
  it('loads offline with no console error and no request, showing the diagram and every service', async () => {
    const { chromium } = await import('playwright-core');
    const data = await gatherReport(app);
    expect(data.check.cloud?.cost.monthlyTotal).toBeGreaterThan(0);
    const out = join(dir, 'report');
    mkdirSync(out);
    const page = join(out, 'index.html');
    writeFileSync(page, renderReport(data));

    const profile = mkdtempSync(join(tmpdir(), 'shipshape-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const tab = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      tab.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      tab.on('pageerror', (e) => void errors.push(e.message));
      tab.on('request', (r) => void requests.push(r.url()));
      const url = `file://${page}`;
      await tab.goto(url, { waitUntil: 'load' });
      expect(errors).toEqual([]);
      expect(requests.filter((r) => r !== url)).toEqual([]);
      const diagram = tab.locator('#diagram svg');
      expect(await diagram.isVisible()).toBe(true);
      expect((await diagram.boundingBox())!.width).toBeGreaterThan(200);
      for (const s of app.services) {
        expect(await tab.locator('table.services td b', { hasText: s.name }).count(), s.name).toBe(1);
        expect(await tab.locator(`#diagram g.node[data-id="svc:${s.name}"]`).count(), s.name).toBe(1);
      }
      expect(await tab.locator('#findings .sev.high').first().isVisible()).toBe(true);
      expect(await tab.locator('#infrastructure table.cost').isVisible()).toBe(true);
      mkdirSync(ARTIFACTS, { recursive: true });
      await tab.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
      expect(readFileSync(join(ARTIFACTS, 'report.png')).length).toBeGreaterThan(10_000);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
