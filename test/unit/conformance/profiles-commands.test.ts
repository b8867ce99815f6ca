/**
 * Profiles (Compose Specification 15-profiles.md) and string commands (05-services.md#command,
 * #entrypoint; split like compose-go, which uses mattn/go-shellwords without expansion).
 */
import { describe, expect, it } from 'vitest';
import { project, projectError, service, yaml } from '../../support/conformance.js';

const EXAMPLE = yaml(
  'services:',
  '  foo: { image: foo }',
  '  bar: { image: bar, profiles: [test] }',
  '  baz: { image: baz, depends_on: [bar], profiles: [test] }',
  '  zot: { image: zot, depends_on: [bar], profiles: [debug] }',
);
const names = (profiles: string[]) =>
  project({ 'compose.yaml': EXAMPLE }, { profiles })
    .services.map((s) => s.name)
    .sort();

describe('15-profiles.md (the illustrative example)', () => {
  it('no profile enabled: only foo', () => {
    expect(names([])).toEqual(['foo']);
  });

  it('profile test: foo, bar and baz', () => {
    expect(names(['test'])).toEqual(['bar', 'baz', 'foo']);
  });

  it('profile debug: zot depends on bar, which is disabled, so the model is invalid', () => {
    const e = projectError({ 'compose.yaml': EXAMPLE }, { profiles: ['debug'] });
    expect(e.message).toBe('"zot" depends on "bar", which is only in profile test');
    expect(e.hint).toBe('enable it with --profile test');
  });

  it('profiles debug and test: all four services', () => {
    expect(names(['debug', 'test'])).toEqual(['bar', 'baz', 'foo', 'zot']);
  });

  it('COMPOSE_PROFILES (also from .env) selects profiles; "*" enables every profile (compose-go HasProfile)', () => {
    expect(project({ 'compose.yaml': EXAMPLE, '.env': 'COMPOSE_PROFILES=test\n' }).services).toHaveLength(3);
    expect(names(['*'])).toEqual(['bar', 'baz', 'foo', 'zot']);
  });
});

const commandOf = (command: string, env: Record<string, string> = {}) => {
  const app = project(
    { 'compose.yaml': yaml('services:', '  web:', '    image: x', `    command: ${command}`) },
    { env },
  );
  return { argv: service(app, 'web').command, warnings: app.warnings };
};

describe('05-services.md#command and #entrypoint as strings', () => {
  it('the specification example: bundle exec thin -p 3000', () => {
    expect(commandOf('bundle exec thin -p 3000').argv).toEqual(['bundle', 'exec', 'thin', '-p', '3000']);
  });

  it('"$$VAR" is the literal $VAR: $$ unescaped once, never expanded', () => {
    expect(
      commandOf('"$$VAR_NOT_INTERPOLATED_BY_COMPOSE"', { VAR_NOT_INTERPOLATED_BY_COMPOSE: 'x' }).argv,
    ).toEqual(['$VAR_NOT_INTERPOLATED_BY_COMPOSE']);
    expect(commandOf('echo $$HOME').argv).toEqual(['echo', '$HOME']);
  });

  it('the specification example /bin/sh -c \'echo "hello $$HOSTNAME"\'', () => {
    expect(commandOf(`/bin/sh -c 'echo "hello $$HOSTNAME"'`).argv).toEqual([
      '/bin/sh',
      '-c',
      'echo "hello $HOSTNAME"',
    ]);
  });

  it('no globbing: ls *.txt', () => {
    expect(commandOf('ls *.txt ?.md').argv).toEqual(['ls', '*.txt', '?.md']);
  });

  it('quotes and backslashes as go-shellwords reads them', () => {
    expect(commandOf(`'echo "a b" c\\ d "e\\"f" '''''`).argv).toEqual(['echo', 'a b', 'c d', 'e"f', '']);
  });

  it('an operator ends the command as in compose, with a warning that says what was dropped', () => {
    const { argv, warnings } = commandOf('"npm start && node worker.js"');
    expect(argv).toEqual(['npm', 'start']);
    expect(warnings).toContainEqual(
      expect.objectContaining({
        path: 'services.web.command',
        message: expect.stringContaining('drops "&& node worker.js"'),
        hint: 'to run it through a shell, write ["sh", "-c", "npm start && node worker.js"]',
      }),
    );
  });

  it('an unbalanced quote is a located error', () => {
    const e = projectError({
      'compose.yaml': yaml('services:', '  web:', '    image: x', `    command: echo "oops`),
    });
    expect(e.message).toMatch(/cannot split .* unterminated quote/);
    expect(e.location).toMatchObject({ line: 4, column: 14 });
  });

  it('entrypoint strings split the same way; [] and "" mean empty (override the image default)', () => {
    const app = project({
      'compose.yaml': yaml(
        'services:',
        '  a: { image: x, entrypoint: /code/entrypoint.sh -v }',
        '  b: { image: x, entrypoint: [], command: "" }',
      ),
    });
    expect(service(app, 'a').entrypoint).toEqual(['/code/entrypoint.sh', '-v']);
    expect(service(app, 'b')).toMatchObject({ entrypoint: [], command: [] });
  });
});
