/**
 * Interpolation in compose files (Compose Specification 12-interpolation.md), with compose-go
 * template/template.go and loader/interpolate.go where the text is silent.
 */
import { describe, expect, it } from 'vitest';
import { project, projectError, service, yaml } from '../../support/conformance.js';

const env = (values: Record<string, string>, compose: string) =>
  service(project({ 'compose.yaml': compose }, { env: values }), 'web');

describe('12-interpolation.md', () => {
  it('$VARIABLE and ${VARIABLE} are both substituted', () => {
    const web = env({ A: 'a', B: 'b' }, yaml('services:', '  web:', '    image: "$A:${B}"'));
    expect(web.image).toBe('a:b');
  });

  it('defaults: :- for unset or empty, - for unset only', () => {
    const web = env(
      { EMPTY: '' },
      yaml(
        'services:',
        '  web:',
        '    image: x',
        '    environment:',
        '      A: "${EMPTY:-d}"',
        '      B: "${EMPTY-d}"',
        '      C: "${UNSET-d}"',
      ),
    );
    expect(web.environment).toEqual({ A: 'd', B: '', C: 'd' });
  });

  it('mandatory: :? fails on unset or empty, ? only on unset, with the message', () => {
    const compose = (op: string) =>
      yaml('services:', '  web:', '    image: x', `    user: "\${V${op}set V please}"`);
    expect(projectError({ 'compose.yaml': compose(':?') }, { env: { V: '' } }).message).toBe(
      'required variable V is missing a value: set V please',
    );
    expect(service(project({ 'compose.yaml': compose('?') }, { env: { V: '' } }), 'web').user).toBe('');
    expect(projectError({ 'compose.yaml': compose('?') }).message).toMatch(/required variable V/);
  });

  it('replacement: :+ when set and not empty, + when set', () => {
    const web = env(
      { SET: 'x', EMPTY: '' },
      yaml(
        'services:',
        '  web:',
        '    image: x',
        '    environment:',
        '      A: "${SET:+yes}"',
        '      B: "${EMPTY:+yes}"',
        '      C: "${EMPTY+yes}"',
      ),
    );
    expect(web.environment).toEqual({ A: 'yes', B: '', C: 'yes' });
  });

  it('nested interpolation: ${VARIABLE:-${FOO:-default}}', () => {
    const web = env(
      { FOO: 'foo' },
      yaml('services:', '  web:', '    image: "${A:-${FOO}}-${B:-${C:-default}}"'),
    );
    expect(web.image).toBe('foo-default');
  });

  it('$$ is a literal $, and a $ that starts no name is kept', () => {
    const web = env(
      {},
      yaml(
        'services:',
        '  web:',
        '    image: x',
        '    environment: { A: "$$VAR_NOT_INTERPOLATED", B: "cost: 5$ or $1" }',
      ),
    );
    expect(web.environment).toEqual({ A: '$VAR_NOT_INTERPOLATED', B: 'cost: 5$ or $1' });
  });

  it('an unset variable without default becomes "" with a located warning', () => {
    const app = project({ 'compose.yaml': yaml('services:', '  web:', '    image: "app${TAG}"') });
    expect(service(app, 'web').image).toBe('app');
    expect(app.warnings).toContainEqual(
      expect.objectContaining({
        message: 'variable TAG is not set; using an empty string',
        location: expect.objectContaining({ line: 3 }),
      }),
    );
  });

  it('keys are not interpolated; the KEY=VALUE form is (the specification example)', () => {
    const app = project(
      {
        'compose.yaml': yaml(
          'services:',
          '  web:',
          '    image: x',
          '    labels:',
          '      - "$VAR=BAR"',
          '  api:',
          '    image: x',
          '    labels:',
          '      "$VAR": "BAR"',
        ),
      },
      { env: { VAR: 'key' } },
    );
    expect(service(app, 'web').labels).toEqual({ key: 'BAR' });
    expect(service(app, 'api').labels).toEqual({ $VAR: 'BAR' });
  });

  it('interpolation happens per file, before merging', () => {
    const app = project(
      {
        'compose.yaml': yaml('services:', '  web: { image: "a:${T}" }'),
        'o.yaml': yaml('services:', '  web: { user: "${U}" }'),
      },
      { files: ['compose.yaml', 'o.yaml'], env: { T: '1', U: '2' } },
    );
    expect(service(app, 'web')).toMatchObject({ image: 'a:1', user: '2' });
  });

  it('typed values after interpolation: replicas, read_only, ports target (loader/interpolate.go casts)', () => {
    const web = env(
      { N: '3', RO: 'true', P: '8080' },
      yaml(
        'services:',
        '  web:',
        '    image: x',
        '    read_only: ${RO}',
        '    deploy: { replicas: "${N}" }',
        '    ports: [{ target: "${P}" }]',
      ),
    );
    expect(web).toMatchObject({ replicas: 3, readOnly: true, ports: [{ target: 8080 }] });
  });

  it('.env supplies defaults, the shell environment wins (variables precedence)', () => {
    const app = project(
      { 'compose.yaml': yaml('services:', '  web: { image: "${A}-${B}" }'), '.env': 'A=dotenv\nB=dotenv\n' },
      { env: { A: 'shell' } },
    );
    expect(service(app, 'web').image).toBe('shell-dotenv');
  });

  it('--env-file replaces .env, and several are read in order', () => {
    const app = project(
      {
        'compose.yaml': yaml('services:', '  web: { image: "${A}-${B}" }'),
        '.env': 'A=dotenv\nB=dotenv\n',
        'one.env': 'A=one\nB=one\n',
        'two.env': 'B=two\n',
      },
      { envFile: ['one.env', 'two.env'] },
    );
    expect(service(app, 'web').image).toBe('one-two');
  });

  it('.env values may use ${VAR}, looked up in the shell first, then earlier lines', () => {
    const app = project(
      {
        'compose.yaml': yaml('services:', '  web: { image: "${IMAGE}" }'),
        '.env': 'REPO=lib\nIMAGE=${REGISTRY}/${REPO}:1\n',
      },
      { env: { REGISTRY: 'reg.local' } },
    );
    expect(service(app, 'web').image).toBe('reg.local/lib:1');
  });
});
