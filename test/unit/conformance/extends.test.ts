/**
 * `extends` (Compose Specification 05-services.md#extends), with compose-go loader/extends.go
 * where the text is silent.
 */
import { describe, expect, it } from 'vitest';
import { project, projectError, service, yaml } from '../../support/conformance.js';

describe('05-services.md#extends', () => {
  it('#mappings: the specification example (environment merges, main wins)', () => {
    const app = project({
      'compose.yaml': yaml(
        'services:',
        '  common:',
        '    image: busybox',
        '    environment: { TZ: utc, PORT: 80 }',
        '  cli:',
        '    extends: { service: common }',
        '    environment: { PORT: 8080 }',
      ),
    });
    expect(service(app, 'cli')).toMatchObject({ image: 'busybox', environment: { TZ: 'utc', PORT: '8080' } });
  });

  it('#mappings: volumes are keyed by target (the specification example)', () => {
    const app = project({
      'compose.yaml': yaml(
        'services:',
        '  common:',
        '    image: busybox',
        '    volumes: ["common-volume:/var/lib/backup/data:rw"]',
        '  cli:',
        '    extends: { service: common }',
        '    volumes: ["cli-volume:/var/lib/backup/data:ro"]',
        'volumes: { common-volume: {}, cli-volume: {} }',
      ),
    });
    expect(service(app, 'cli').volumes).toEqual([
      { type: 'volume', source: 'cli-volume', target: '/var/lib/backup/data', readOnly: true },
    ]);
  });

  it('#mappings: extends chains are followed until none is left (the specification example)', () => {
    const app = project({
      'compose.yaml': yaml(
        'services:',
        '  base: { image: busybox, user: root }',
        '  common: { image: busybox, extends: { service: base } }',
        '  cli: { extends: { service: common } }',
      ),
    });
    expect(service(app, 'cli')).toMatchObject({ image: 'busybox', user: 'root' });
  });

  it('#sequences: security_opt is combined, referenced items first (the specification example)', () => {
    const app = project({
      'compose.yaml': yaml(
        'services:',
        '  common: { image: busybox, security_opt: ["label:role:ROLE"] }',
        '  cli: { extends: { service: common }, security_opt: ["label:user:USER"] }',
      ),
    });
    expect(service(app, 'cli').securityOpt).toEqual(['label:role:ROLE', 'label:user:USER']);
  });

  it('#sequences: ports merge without duplicates', () => {
    const app = project({
      'compose.yaml': yaml(
        'services:',
        '  common: { image: a, ports: ["80:80"] }',
        '  cli: { extends: common, ports: ["80:80", "443:443"] }',
      ),
    });
    expect(service(app, 'cli').ports.map((p) => p.published)).toEqual([80, 443]);
  });

  it('depends_on of the extended service is kept (compose-go extends.go merges it like any key)', () => {
    const app = project({
      'compose.yaml': yaml(
        'services:',
        '  db: { image: pg }',
        '  base: { image: a, depends_on: [db] }',
        '  web: { extends: base }',
      ),
    });
    expect(service(app, 'web').dependsOn.map((d) => d.service)).toEqual(['db']);
  });

  it('#finding-referenced-service: relative paths of the extended file resolve against that file', () => {
    const app = project({
      'compose.yaml': yaml('services:', '  web:', '    extends: { file: common/base.yaml, service: base }'),
      'common/base.yaml': yaml(
        'services:',
        '  base:',
        '    build: { context: ./ctx, target: x }',
        '    volumes: ["./data:/data"]',
        '    env_file: base.env',
      ),
      'common/base.env': 'FROM_BASE=1\n',
    });
    const web = service(app, 'web');
    expect(web.build).toMatchObject({ context: `${app.projectDir}/common/ctx`, target: 'x' });
    expect(web.volumes[0]?.source).toBe(`${app.projectDir}/common/data`);
    expect(web.environment).toEqual({ FROM_BASE: '1' });
  });

  it('an extending build mapping without context keeps the extended context', () => {
    const app = project({
      'compose.yaml': yaml(
        'services:',
        '  web:',
        '    extends: { file: common/base.yaml, service: base }',
        '    build: { target: dev }',
      ),
      'common/base.yaml': yaml('services:', '  base: { build: ./ctx }'),
    });
    expect(service(app, 'web').build).toMatchObject({
      context: `${app.projectDir}/common/ctx`,
      target: 'dev',
    });
  });

  it('extends across files and directories: the extended file may itself extend another file', () => {
    const app = project({
      'compose.yaml': yaml('services:', '  web: { extends: { file: a/one.yaml, service: one } }'),
      'a/one.yaml': yaml('services:', '  one: { extends: { file: ../b/two.yaml, service: two }, user: "1" }'),
      'b/two.yaml': yaml('services:', '  two: { image: two, volumes: ["./x:/x"] }'),
    });
    expect(service(app, 'web')).toMatchObject({ image: 'two', user: '1' });
    expect(service(app, 'web').volumes[0]?.source).toBe(`${app.projectDir}/b/x`);
  });

  it('#restrictions: a cycle is an error naming it', () => {
    const e = projectError({
      'compose.yaml': yaml('services:', '  a: { image: x, extends: b }', '  b: { extends: a }'),
    });
    expect(e.message).toMatch(/extends forms a cycle: a -> b -> a/);
    expect(e.location).toMatchObject({ line: 2 });
  });

  it('#finding-referenced-service: an unknown service or a missing file is an error', () => {
    expect(projectError({ 'compose.yaml': yaml('services:', '  a: { extends: nope }') }).message).toMatch(
      /extends names unknown service "nope"/,
    );
    expect(
      projectError({ 'compose.yaml': yaml('services:', '  a: { extends: { file: no.yaml, service: x } }') })
        .message,
    ).toMatch(/extends file .*no\.yaml not found/);
  });
});
