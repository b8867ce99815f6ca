import { describe, expect, it } from 'vitest';
import { serializeLock } from '../../../src/model/image-lock.js';
import { loadApp } from '../../../src/model/load.js';
import type { ImageFacts } from '../../../src/model/types.js';
import { composeDir } from '../../support/compose-dir.js';

const digest = `sha256:${'d'.repeat(64)}`;
const facts = (over: Partial<ImageFacts> = {}): ImageFacts => ({
  image: 'example/mail:2',
  platform: 'linux/amd64',
  digest,
  config: `sha256:${'c'.repeat(64)}`,
  from: 'registry',
  user: '',
  ports: [],
  udpPorts: [],
  env: [],
  architecture: 'amd64',
  os: 'linux',
  ...over,
});

const load = (compose: string, lock?: ImageFacts[]) =>
  loadApp([], {
    cwd: composeDir({ 'compose.yaml': compose, ...(lock ? { 'shipshape.lock': serializeLock(lock) } : {}) }),
    env: {},
  });

const svc = (app: ReturnType<typeof load>, name: string) => app.services.find((s) => s.name === name)!;

describe('image facts from shipshape.lock in the model', () => {
  const compose =
    'services:\n  app:\n    image: example/app:1\n    environment:\n      SMTP_HOST: mail\n  mail:\n    image: example/mail:2\n';

  it('without an entry: assumed, with the reason; root stays unknown; an edge to a port-less callee is refused', () => {
    const app = load(compose);
    const mail = svc(app, 'mail');
    expect(mail.intent.imageFacts).toEqual({
      reason:
        'image facts assumed: example/mail:2 (linux/amd64) is not in shipshape.lock; `shipshape config --update-lock` reads its config from its registry',
    });
    expect(mail.intent.user.root).toBe('unknown');
    expect(mail.intent.cloudImage.pinned).toBeUndefined();
    expect(svc(app, 'app').intent.refusals.map((r) => r.rule)).toEqual(['unknown-call-port']);
  });

  it("decides the image's own non-root user, the callee's EXPOSEd ports, the health check and the pinned reference", () => {
    const hc = {
      test: ['CMD', 'true'],
      intervalMs: 5000,
      timeoutMs: 3000,
      retries: 3,
      startPeriodMs: 0,
      disabled: false,
    };
    const app = load(compose, [facts({ user: 'mail:mail', ports: [25, 587], healthcheck: hc })]);
    const mail = svc(app, 'mail');
    expect(mail.intent.user).toMatchObject({ user: 'mail:mail', root: false, source: 'image' });
    expect(mail.intent.listenPorts).toEqual([25, 587]);
    expect(mail.intent.healthcheck).toMatchObject({ check: hc, source: 'image' });
    expect(mail.intent.cloudImage.pinned).toBe(`example/mail:2@${digest}`);
    const edge = app.traffic.edges.find((e) => e.from === 'app' && e.to === 'mail')!;
    expect(edge.ports).toEqual([25, 587]);
    expect(edge.portsReason).toBe('no port named: the ports mail listens on (image EXPOSE 25, 587)');
    expect(svc(app, 'app').intent.refusals).toEqual([]);
    expect(app.intent.decisions.map((d) => d.text)).toContain(
      'app → mail on 25, 587 (SMTP_HOST=mail; no port named: the ports mail listens on (image EXPOSE 25, 587))',
    );
  });

  it('an image whose config says root is root, said so; compose `user:` and `healthcheck:` still win', () => {
    const root = load(compose, [facts({ user: '0' })]);
    expect(svc(root, 'mail').intent.user).toMatchObject({ root: true, source: 'image' });
    expect(svc(root, 'mail').intent.user.reason).toMatch(
      /^the image's config sets USER 0, so it runs as root/,
    );
    const hc = {
      test: ['CMD', 'true'],
      intervalMs: 5000,
      timeoutMs: 3000,
      retries: 3,
      startPeriodMs: 0,
      disabled: false,
    };
    const own = load(
      'services:\n  mail:\n    image: example/mail:2\n    user: "1000"\n    healthcheck: { test: ["CMD", "false"] }\n',
      [facts({ user: '', healthcheck: hc })],
    );
    expect(svc(own, 'mail').intent.user).toMatchObject({ user: '1000', source: 'compose' });
    expect(svc(own, 'mail').intent.healthcheck).toMatchObject({
      source: 'compose',
      check: { test: ['CMD', 'false'] },
    });
  });

  it('the task platform: compose platform: (its own lock entry), else the arm64-only image, else linux/amd64', () => {
    const arm = load('services:\n  mail:\n    image: example/mail:2\n    platform: linux/arm64\n', [
      facts({ platform: 'linux/arm64', architecture: 'arm64', user: '1' }),
    ]);
    expect(svc(arm, 'mail').intent.platform).toEqual({
      os: 'linux',
      architecture: 'arm64',
      reason: 'compose sets platform: linux/arm64',
    });
    expect(svc(arm, 'mail').intent.user.user).toBe('1');
    const armOnly = load('services:\n  mail:\n    image: example/mail:2\n', [
      facts({ architecture: 'arm64' }),
    ]);
    expect(svc(armOnly, 'mail').intent.platform.architecture).toBe('arm64');
    expect(svc(load(compose), 'mail').intent.platform.architecture).toBe('amd64');
    const odd = load('services:\n  mail:\n    image: example/mail:2\n    platform: linux/s390x\n');
    expect(odd.warnings.map((w) => w.message)).toContain(
      'mail: platform linux/s390x cannot run on Fargate (linux/amd64 and linux/arm64 only); the task runs linux/amd64',
    );
  });
});
