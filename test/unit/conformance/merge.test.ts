/**
 * Merge and override, per the Compose Specification 13-merge.md, with compose-go's
 * override/merge.go and override/uncity.go where the text is silent.
 */
import { describe, expect, it } from 'vitest';
import { project, service, yaml } from '../../support/conformance.js';

const two = (base: string, override: string, env: Record<string, string> = {}) =>
  project(
    { 'compose.yaml': base, 'override.yaml': override },
    { files: ['compose.yaml', 'override.yaml'], env },
  );

describe('13-merge.md: merging compose files', () => {
  it('#mapping: missing entries are added, conflicting ones merged (later wins)', () => {
    const app = two(
      yaml('services:', '  foo:', '    image: a', '    user: "1"', '    working_dir: /a'),
      yaml('services:', '  foo:', '    user: "2"', '    restart: always'),
    );
    expect(service(app, 'foo')).toMatchObject({ image: 'a', user: '2', workingDir: '/a', restart: 'always' });
  });

  it('#sequence: a sequence is appended (security_opt keeps both entries)', () => {
    const app = two(
      yaml('services:', '  foo:', '    image: a', '    security_opt: [label:role:ROLE]'),
      yaml('services:', '  foo:', '    security_opt: [label:user:USER]'),
    );
    expect(service(app, 'foo').securityOpt).toEqual(['label:role:ROLE', 'label:user:USER']);
  });

  it('#shell-commands: command, entrypoint and healthcheck.test are replaced, not appended', () => {
    const app = two(
      yaml(
        'services:',
        '  foo:',
        '    image: a',
        '    command: ["echo", "foo"]',
        '    entrypoint: ["/a"]',
        '    healthcheck: { test: ["CMD", "a"], retries: 5 }',
      ),
      yaml(
        'services:',
        '  foo:',
        '    command: ["echo", "bar"]',
        '    entrypoint: ["/b", "-x"]',
        '    healthcheck: { test: ["CMD", "b"] }',
      ),
    );
    const foo = service(app, 'foo');
    expect(foo.command).toEqual(['echo', 'bar']);
    expect(foo.entrypoint).toEqual(['/b', '-x']);
    expect(foo.healthcheck).toMatchObject({ test: ['CMD', 'b'], retries: 5 });
  });

  it('#unique-resources: volumes are unique by target, the later mount wins', () => {
    const app = two(
      yaml(
        'services:',
        '  foo:',
        '    image: a',
        '    volumes: ["foo:/work", "keep:/keep"]',
        'volumes: { foo: {}, bar: {}, keep: {} }',
      ),
      yaml('services:', '  foo:', '    volumes: ["bar:/work"]'),
    );
    expect(service(app, 'foo').volumes.map((v) => `${v.source}:${v.target}`)).toEqual([
      'bar:/work',
      'keep:/keep',
    ]);
  });

  it('#unique-resources: ports are unique by {ip, target, published, protocol}, across short and long syntax', () => {
    const app = two(
      yaml('services:', '  foo:', '    image: a', '    ports: ["8080:80", "127.0.0.1:9090:90"]'),
      yaml(
        'services:',
        '  foo:',
        '    ports:',
        '      - { target: 80, published: 8080 }',
        '      - "9090:90"',
        '      - { target: 80, published: "8080", protocol: udp }',
      ),
    );
    expect(service(app, 'foo').ports).toEqual([
      { target: 80, published: 8080, hostIp: undefined, protocol: 'tcp' },
      { target: 90, published: 9090, hostIp: '127.0.0.1', protocol: 'tcp' },
      { target: 90, published: 9090, hostIp: undefined, protocol: 'tcp' },
      { target: 80, published: 8080, hostIp: undefined, protocol: 'udp' },
    ]);
  });

  it('#unique-resources: a port repeated in one file appears once (compose-go EnforceUnicity runs per file)', () => {
    const app = project({
      'compose.yaml': yaml(
        'services:',
        '  foo:',
        '    image: a',
        '    ports: ["8080:80", { target: 80, published: 8080 }]',
      ),
    });
    expect(service(app, 'foo').ports).toHaveLength(1);
  });

  it('#unique-resources: secrets are unique by target (a relative target is under /run/secrets)', () => {
    const app = two(
      yaml(
        'services:',
        '  foo:',
        '    image: a',
        '    secrets: [one, { source: two, target: key }]',
        'secrets:',
        '  one: { environment: ONE }',
        '  two: { environment: TWO }',
        '  three: { environment: THREE }',
      ),
      yaml(
        'services:',
        '  foo:',
        '    secrets: [{ source: three, target: /run/secrets/key }, { source: one }]',
      ),
    );
    expect(service(app, 'foo').secrets).toEqual([
      { source: 'one', target: '/run/secrets/one' },
      { source: 'three', target: '/run/secrets/key' },
    ]);
  });

  it('environment, labels and build.args merge by key, whether written as list or map (merge.go mergeToSequence)', () => {
    const app = two(
      yaml(
        'services:',
        '  foo:',
        '    build: { context: ., args: [V=1, W=1] }',
        '    environment: [A=1, B=1]',
        '    labels: { l1: a, l2: a }',
      ),
      yaml(
        'services:',
        '  foo:',
        '    build: { args: { W: "2" } }',
        '    environment: { B: "2", C: "2" }',
        '    labels: [l2=b]',
      ),
    );
    const foo = service(app, 'foo');
    expect(foo.environment).toEqual({ A: '1', B: '2', C: '2' });
    expect(foo.labels).toEqual({ l1: 'a', l2: 'b' });
    expect(foo.build?.args).toEqual({ V: '1', W: '2' });
  });

  it('an environment entry without value in a later file replaces the earlier value (resolved from the shell, else unset)', () => {
    const app = two(
      yaml('services:', '  foo:', '    image: a', '    environment: { A: base, B: base }'),
      yaml('services:', '  foo:', '    environment: [A, B]'),
      { A: 'from-shell' },
    );
    expect(service(app, 'foo').environment).toEqual({ A: 'from-shell' });
  });

  it('tmpfs is appended, not replaced (merge.go: tmpfs mergeToSequence, unique by path)', () => {
    const app = two(
      yaml('services:', '  foo:', '    image: a', '    tmpfs: [/run, /tmp]'),
      yaml('services:', '  foo:', '    tmpfs: /cache'),
    );
    expect(service(app, 'foo').tmpfs.map((t) => t.target)).toEqual(['/run', '/tmp', '/cache']);
  });

  it('cap_add, cap_drop and profiles are appended without duplicates (uncity.go keyValueIndexer)', () => {
    const app = two(
      yaml(
        'services:',
        '  foo:',
        '    image: a',
        '    cap_add: [NET_ADMIN]',
        '    cap_drop: [ALL]',
        '    profiles: [p]',
      ),
      yaml(
        'services:',
        '  foo:',
        '    cap_add: [NET_ADMIN, SYS_TIME]',
        '    cap_drop: [ALL]',
        '    profiles: [p, q]',
      ),
      { COMPOSE_PROFILES: 'p' },
    );
    const foo = service(app, 'foo');
    expect(foo.capAdd).toEqual(['NET_ADMIN', 'SYS_TIME']);
    expect(foo.capDrop).toEqual(['ALL']);
    expect(foo.profiles).toEqual(['p', 'q']);
  });

  it('expose is appended without duplicates (uncity.go exposeIndexer)', () => {
    const app = two(
      yaml('services:', '  foo:', '    image: a', '    expose: ["5000", "6000"]'),
      yaml('services:', '  foo:', '    expose: ["6000", "7000"]'),
    );
    expect(service(app, 'foo').expose).toEqual([5000, 6000, 7000]);
  });

  it('depends_on merges per service; list and map forms mix (merge.go mergeDependsOn)', () => {
    const app = two(
      yaml(
        'services:',
        '  foo:',
        '    image: a',
        '    depends_on: [db]',
        '  db: { image: d }',
        '  cache: { image: c }',
      ),
      yaml(
        'services:',
        '  foo:',
        '    depends_on:',
        '      db: { condition: service_healthy }',
        '      cache: { condition: service_started }',
      ),
    );
    expect(service(app, 'foo').dependsOn).toEqual([
      { service: 'db', condition: 'service_healthy', required: true, restart: false },
      { service: 'cache', condition: 'service_started', required: true, restart: false },
    ]);
  });

  it('networks merge by name; list and map forms mix (merge.go mergeNetworks)', () => {
    const app = two(
      yaml(
        'services:',
        '  foo:',
        '    image: a',
        '    networks: [front]',
        'networks: { front: {}, back: {} }',
      ),
      yaml('services:', '  foo:', '    networks: { back: { aliases: [b] } }'),
    );
    expect(service(app, 'foo').networks).toEqual(['front', 'back']);
  });

  it('build: a later mapping keeps the earlier context (merge.go mergeBuild)', () => {
    const app = two(
      yaml('services:', '  foo:', '    build: ./app'),
      yaml('services:', '  foo:', '    build: { target: dev }'),
    );
    expect(service(app, 'foo').build).toMatchObject({ context: `${app.projectDir}/app`, target: 'dev' });
  });

  it('deploy.resources merge key by key', () => {
    const app = two(
      yaml(
        'services:',
        '  foo:',
        '    image: a',
        '    deploy: { replicas: 2, resources: { limits: { cpus: "0.5", memory: 64M } } }',
      ),
      yaml('services:', '  foo:', '    deploy: { resources: { limits: { memory: 128M } } }'),
    );
    expect(service(app, 'foo').replicas).toBe(2);
    expect(service(app, 'foo').resources.limits).toEqual({ cpus: 0.5, memoryBytes: 128 * 1024 * 1024 });
  });

  it('a later null command or entrypoint clears it (merge.go: command and entrypoint are overridden even by null)', () => {
    const app = two(
      yaml('services:', '  foo:', '    image: a', '    command: ["run"]', '    entrypoint: ["/init"]'),
      yaml('services:', '  foo:', '    command: null', '    entrypoint: null'),
    );
    expect(service(app, 'foo').command).toBeUndefined();
    expect(service(app, 'foo').entrypoint).toBeUndefined();
  });

  it('top-level networks, volumes and secrets merge by name', () => {
    const app = two(
      yaml('services:', '  foo: { image: a }', 'networks: { n: { driver: bridge } }', 'volumes: { v: {} }'),
      yaml('networks: { n: { internal: true } }', 'volumes: { v: { driver: local } }'),
    );
    expect(app.networks.find((n) => n.name === 'n')).toEqual({
      name: 'n',
      driver: 'bridge',
      internal: true,
      external: false,
    });
    expect(app.volumes.find((v) => v.name === 'v')?.driver).toBe('local');
  });

  it('docker-compose.override: relative paths of an override file in another directory resolve against the project directory', () => {
    const app = project(
      {
        'compose.yaml': yaml('services:', '  foo:', '    build: ./app'),
        'sub/override.yaml': yaml(
          'services:',
          '  foo:',
          '    build: { context: ./other }',
          '    env_file: ./vars.env',
          '    volumes: ["./data:/data"]',
        ),
        'vars.env': 'X=1\n',
      },
      { files: ['compose.yaml', 'sub/override.yaml'] },
    );
    const foo = service(app, 'foo');
    expect(foo.build?.context).toBe(`${app.projectDir}/other`);
    expect(foo.environment).toEqual({ X: '1' });
    expect(foo.volumes[0]?.source).toBe(`${app.projectDir}/data`);
  });

  it('errors after merging name the file and line that wrote the value', () => {
    let err: unknown;
    try {
      two(
        yaml('services:', '  foo:', '    image: a', '    ports: ["80"]'),
        yaml('services:', '  foo:', '    ports:', '      - "x:80"'),
      );
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      path: 'services.foo.ports[0]',
      location: { file: expect.stringMatching(/override\.yaml$/), line: 4, column: 9 },
    });
  });
});
