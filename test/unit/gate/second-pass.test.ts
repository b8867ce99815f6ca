/**
 * A second red-team pass over the gate's promises (docs/check.md): settings a Fargate task cannot
 * have (extra_hosts, dns, shm_size...), compose `configs` (a file is a read-only bind, other kinds
 * cannot reach the cloud), a secret read from a system file, debugger ports opened on the command
 * line, and tokens recognized by their format whatever the variable is called.
 */
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import { credentialInValue, redactCredentials } from '../../../src/model/intent/credentials.js';
import type { AppModel } from '../../../src/model/types.js';
import { gateFindings } from '../../../src/model/gate.js';
import { composeDir } from '../../support/compose-dir.js';

const load = (compose: string, files: Record<string, string> = {}): AppModel =>
  loadApp([], { cwd: composeDir({ 'compose.yaml': compose, ...files }), env: {} });
const refusals = (app: AppModel) =>
  gateFindings(app)
    .filter((f) => f.kind === 'refusal')
    .map((f) => `${f.service}: ${f.rule} @${f.location?.line}`);
const svc = (app: AppModel, name: string) => app.services.find((s) => s.name === name)!;

describe('settings a Fargate task (awsvpc) cannot have', () => {
  it('extra_hosts, dns, dns_search, shm_size, mac_address: each a located refusal with its fix', () => {
    const app = load(`services:
  app:
    image: example/app:1
    user: "1000"
    extra_hosts: ["host.docker.internal:host-gateway"]
    dns: [1.1.1.1]
    dns_search: example.internal
    shm_size: 1gb
    mac_address: 02:42:ac:11:65:43
`);
    expect(refusals(app).sort()).toEqual([
      'app: fargate-unsupported @5',
      'app: fargate-unsupported @6',
      'app: fargate-unsupported @7',
      'app: fargate-unsupported @8',
      'app: fargate-unsupported @9',
    ]);
    const extra = gateFindings(app).find((f) => f.location?.line === 5)!;
    expect(extra.message).toMatch(/Docker host, which the cloud does not have/);
    expect(extra.fix).toMatch(/compose names/);
  });
});

describe('compose configs', () => {
  it('a file config is a read-only bind of a project file (baked for the cloud); a content config is refused', () => {
    const app = load(
      `services:
  app:
    image: example/app:1
    user: "1000"
    configs:
      - source: settings
        target: /etc/app/settings.toml
      - inline
configs:
  settings:
    file: ./settings.toml
  inline:
    content: "x = 1"
`,
      { 'settings.toml': 'x = 1\n' },
    );
    const app0 = svc(app, 'app');
    const mount = app0.intent.mounts.find((m) => m.target === '/etc/app/settings.toml');
    expect(mount).toMatchObject({ cloud: 'baked' });
    // Located at the service's configs (the list's first line), its message naming the config.
    expect(refusals(app)).toEqual(['app: fargate-unsupported @6']);
    expect(gateFindings(app).find((f) => f.rule === 'fargate-unsupported')!.message).toMatch(
      /config "inline"/,
    );
  });

  it('a file config outside the project pointing at a system file is judged like that bind', () => {
    const app = load(`services:
  app:
    image: example/app:1
    user: "1000"
    configs: [passwd]
configs:
  passwd:
    file: /etc/passwd
`);
    expect(refusals(app).some((r) => r.startsWith('app: host-path'))).toBe(true);
  });
});

describe('a secret read from the host itself', () => {
  it('file: /etc/shadow or the engine socket is refused; a file of its own is what secrets are for', () => {
    const app = load(
      `services:
  app:
    image: example/app:1
    user: "1000"
    secrets: [shadow, sock, mine]
secrets:
  shadow:
    file: /etc/shadow
  sock:
    file: /var/run/docker.sock
  mine:
    file: ./mine.txt
`,
      { 'mine.txt': 'x' },
    );
    expect(refusals(app)).toEqual(['app: host-path @8', 'app: docker-socket @10']);
  });
});

describe('debugger ports a command line opens', () => {
  it('--inspect=0.0.0.0:9339 and JDWP in JAVA_TOOL_OPTIONS: never entries, never listening ports', () => {
    const app = load(`services:
  web:
    image: example/web:1
    user: "1000"
    command: ["node", "--inspect=0.0.0.0:9339", "server.js"]
    ports: ["8080:8080", "9339:9339"]
  jvm:
    image: example/jvm:1
    user: "1000"
    environment:
      JAVA_TOOL_OPTIONS: -agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:7777
    ports: ["7777:7777"]
    expose: ["8081"]
`);
    expect(svc(app, 'web').intent.entryPorts.map((p) => p.port)).toEqual([8080]);
    expect(svc(app, 'web').intent.listenPorts).not.toContain(9339);
    expect(svc(app, 'jvm').intent.entryPorts.map((p) => p.port)).not.toContain(7777);
    expect(svc(app, 'jvm').intent.listenPorts).not.toContain(7777);
  });
});

describe('tokens by their format', () => {
  const tokens = [
    'ghp_' + 'a'.repeat(36),
    'github_pat_' + 'B'.repeat(30),
    'glpat-' + 'c'.repeat(20),
    'sk_live_' + 'd'.repeat(24),
    'xoxb-' + '1'.repeat(12) + '-abc',
    'AKIA' + 'ABCDEFGHIJKLMNOP',
    '-----BEGIN RSA PRIVATE KEY-----',
  ];
  it('is a credential whatever the variable is called, and is masked when printed', () => {
    for (const t of tokens) {
      expect(credentialInValue(`prefix ${t} suffix`), t).toBe('a token or key by its format');
      expect(redactCredentials(`X=${t}`), t).not.toContain(t);
    }
    for (const plain of ['ghp_short', 'sk_live_', 'AKIA123', 'main', 'https://example.com'])
      expect(credentialInValue(plain), plain).toBeUndefined();
  });
  it('a token in a variable named NOTES is a plain-secret finding', () => {
    const app = load(`services:
  app:
    image: example/app:1
    user: "1000"
    environment:
      NOTES: ${tokens[0]}
`);
    expect(gateFindings(app).map((f) => f.rule)).toContain('plain-secret');
  });
});
