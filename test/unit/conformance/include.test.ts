/**
 * `include` (Compose Specification 14-include.md), with compose-go loader/include.go where the
 * text is silent.
 */
import { describe, expect, it } from 'vitest';
import { project, projectError, service, yaml } from '../../support/conformance.js';

describe('14-include.md: include', () => {
  it('#short-syntax: included services, volumes and networks join the model and can be referenced', () => {
    const app = project(
      {
        'app/compose.yaml': yaml(
          'include:',
          '  - ../commons/compose.yaml',
          'services:',
          '  webapp:',
          '    image: web',
          '    depends_on: [included-service]',
          '    networks: [shared]',
        ),
        'commons/compose.yaml': yaml(
          'services:',
          '  included-service: { image: inc, volumes: ["data:/data"] }',
          'volumes: { data: {} }',
          'networks: { shared: {} }',
        ),
      },
      { files: ['app/compose.yaml'] },
    );
    expect(app.services.map((s) => s.name).sort()).toEqual(['included-service', 'webapp']);
    expect(service(app, 'webapp').dependsOn.map((d) => d.service)).toEqual(['included-service']);
    expect(app.volumes.map((v) => v.name)).toEqual(['data']);
  });

  it('#short-syntax: relative paths of an included file resolve against its own directory', () => {
    const app = project({
      'compose.yaml': yaml('include: [sub/compose.yaml]', 'services:', '  web: { image: w }'),
      'sub/compose.yaml': yaml(
        'services:',
        '  api:',
        '    build: ./api',
        '    volumes: ["./data:/data"]',
        '    env_file: api.env',
      ),
      'sub/api.env': 'FROM_SUB=1\n',
    });
    const api = service(app, 'api');
    expect(api.build?.context).toBe(`${app.projectDir}/sub/api`);
    expect(api.volumes[0]?.source).toBe(`${app.projectDir}/sub/data`);
    expect(api.environment).toEqual({ FROM_SUB: '1' });
  });

  it('#short-syntax: the included project interpolates with its own .env; the including project wins', () => {
    const app = project(
      {
        'compose.yaml': yaml('include: [sub/compose.yaml]', 'services:', '  web: { image: w }'),
        'sub/compose.yaml': yaml('services:', '  api: { image: "api:${TAG}", user: "${UID_}" }'),
        'sub/.env': 'TAG=from-sub\nUID_=100\n',
      },
      { env: { TAG: 'from-shell' } },
    );
    expect(service(app, 'api')).toMatchObject({ image: 'api:from-shell', user: '100' });
  });

  it('#long-syntax: path as a list merges the files; env_file and project_directory are honoured', () => {
    const app = project({
      'compose.yaml': yaml(
        'include:',
        '  - path: [lib/compose.yaml, lib/override.yaml]',
        '    env_file: lib/custom.env',
        '    project_directory: lib',
        'services:',
        '  web: { image: w }',
      ),
      'lib/compose.yaml': yaml('services:', '  api: { image: "api:${V}", build: ./src }'),
      'lib/override.yaml': yaml('services:', '  api: { user: "1" }'),
      'lib/custom.env': 'V=2\n',
    });
    expect(service(app, 'api')).toMatchObject({
      image: 'api:2',
      user: '1',
      build: { context: `${app.projectDir}/lib/src` },
    });
  });

  it('include applies recursively', () => {
    const app = project({
      'compose.yaml': yaml('include: [a/compose.yaml]', 'services:', '  web: { image: w }'),
      'a/compose.yaml': yaml('include: [b/compose.yaml]', 'services:', '  a: { image: a }'),
      'a/b/compose.yaml': yaml('services:', '  b: { image: b, build: . }'),
    });
    expect(app.services.map((s) => s.name).sort()).toEqual(['a', 'b', 'web']);
    expect(service(app, 'b').build?.context).toBe(`${app.projectDir}/a/b`);
  });

  it('an include cycle is an error naming the cycle, located at the include entry (include.go)', () => {
    const e = projectError({
      'compose.yaml': yaml('include: [a.yaml]', 'services:', '  web: { image: w }'),
      'a.yaml': yaml('include:', '  - compose.yaml', 'services:', '  a: { image: a }'),
    });
    expect(e.message).toBe('include cycle: compose.yaml -> a.yaml -> compose.yaml');
    expect(e.location).toMatchObject({ file: expect.stringMatching(/a\.yaml$/), line: 2, column: 5 });
    expect(e.exitCode).toBe(2);
  });

  it('a missing included file is a located error', () => {
    const e = projectError({
      'compose.yaml': yaml('include:', '  - nope.yaml', 'services:', '  web: { image: w }'),
    });
    expect(e.message).toMatch(/included file .*nope\.yaml not found/);
    expect(e.location).toMatchObject({ line: 2, column: 5 });
  });

  it('a name defined both locally and by an included file: warning, local definition merged over (include.go importResource)', () => {
    const app = project({
      'compose.yaml': yaml('include: [sub.yaml]', 'services:', '  api: { user: "2" }'),
      'sub.yaml': yaml('services:', '  api: { image: inc, user: "1" }'),
    });
    expect(service(app, 'api')).toMatchObject({ image: 'inc', user: '2' });
    expect(app.warnings).toContainEqual(
      expect.objectContaining({
        severity: 'warning',
        path: 'services.api',
        message: expect.stringMatching(/included file/),
      }),
    );
  });
});
