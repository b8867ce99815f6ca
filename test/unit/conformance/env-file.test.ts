/**
 * `env_file` formats and precedence (Compose Specification 05-services.md#env_file,
 * #env_file-format and #environment), with compose-go dotenv/parser.go and
 * types/project.go (WithServicesEnvironmentResolved) where the text is silent.
 */
import { describe, expect, it } from 'vitest';
import { project, projectError, service, yaml } from '../../support/conformance.js';

/** The environment of a service whose only env file holds `content`. */
const envOf = (
  content: string,
  opts: { env?: Record<string, string>; entry?: string; environment?: string } = {},
) =>
  service(
    project(
      {
        'compose.yaml': yaml(
          'services:',
          '  web:',
          '    image: x',
          `    env_file: ${opts.entry ?? 'a.env'}`,
          ...(opts.environment ? [`    environment: ${opts.environment}`] : []),
        ),
        'a.env': content,
      },
      { env: opts.env ?? {} },
    ),
    'web',
  ).environment;

describe('05-services.md#env_file-format', () => {
  it('comments, blank lines, VAR=VAL, quoted values, export', () => {
    expect(envOf('# comment\n\nRACK_ENV=development\nVAR="quoted"\nS=\'single\'\nexport EX=1\n')).toEqual({
      RACK_ENV: 'development',
      VAR: 'quoted',
      S: 'single',
      EX: '1',
    });
  });

  it('inline comments of unquoted values need a space before # (the specification examples)', () => {
    expect(envOf('A=VAL # comment\nUQ=val# x\n')).toEqual({ A: 'VAL', UQ: 'val# x' });
  });

  it('inline comments of quoted values follow the closing quote (the specification examples)', () => {
    expect(envOf('A="VAL # not a comment"\nB="VAL" # comment\n')).toEqual({
      A: 'VAL # not a comment',
      B: 'VAL',
    });
  });

  it("single-quoted values are literal: no interpolation, no escapes except \\' (the specification examples)", () => {
    expect(
      envOf("A='$OTHER'\nB='${OTHER}'\nC='Let\\'s go!'\nD='some\\tvalue'\n", { env: { OTHER: 'x' } }),
    ).toEqual({
      A: '$OTHER',
      B: '${OTHER}',
      C: "Let's go!",
      D: 'some\\tvalue',
    });
  });

  it('double-quoted values handle \\n \\t \\\\ \\" (the specification examples)', () => {
    expect(
      envOf('A="{\\"hello\\": \\"json\\"}"\nB="some\\tvalue"\nC="a\\nb"\nD="back\\\\slash"\nE="\\$NOT"\n'),
    ).toEqual({
      A: '{"hello": "json"}',
      B: 'some\tvalue',
      C: 'a\nb',
      D: 'back\\slash',
      E: '$NOT',
    });
  });

  it('unquoted values keep backslashes (VAR=some\\tvalue -> some\\tvalue)', () => {
    expect(envOf('A=some\\tvalue\n')).toEqual({ A: 'some\\tvalue' });
  });

  it('unquoted and double-quoted values are interpolated; earlier lines count (12-interpolation.md)', () => {
    expect(envOf('BASE=/srv\nA=${BASE}/a\nB="${BASE:-x}/b"\nC=${MISSING:-def}\n')).toEqual({
      BASE: '/srv',
      A: '/srv/a',
      B: '/srv/b',
      C: 'def',
    });
  });

  it('VAL omitted is an empty string; =VAL omitted takes the value from the project environment, else unset', () => {
    expect(envOf('EMPTY=\nFROM_SHELL\nNOWHERE\n', { env: { FROM_SHELL: 'sh' } })).toEqual({
      EMPTY: '',
      FROM_SHELL: 'sh',
    });
  });

  it('double-quoted values may span lines', () => {
    expect(envOf('KEY="-----BEGIN\nline\n-----END"\nNEXT=1\n')).toEqual({
      KEY: '-----BEGIN\nline\n-----END',
      NEXT: '1',
    });
  });

  it('#format: raw takes values as written (quotes and $ kept)', () => {
    expect(envOf('A="quoted"\nB=${NOT}\nC=a # b\n', { entry: '[{ path: a.env, format: raw }]' })).toEqual({
      A: '"quoted"',
      B: '${NOT}',
      C: 'a # b',
    });
  });

  it('an unterminated quote is an error located in the env file', () => {
    const e = projectError({
      'compose.yaml': yaml('services:', '  web: { image: x, env_file: a.env }'),
      'a.env': 'OK=1\nBAD="open\n',
    });
    expect(e.message).toMatch(/invalid env file: unterminated quoted value/);
    expect(e.location).toMatchObject({ file: expect.stringMatching(/a\.env$/), line: 2 });
  });
});

describe('05-services.md#env_file precedence', () => {
  it('files are read top down; the last file wins', () => {
    const app = project({
      'compose.yaml': yaml('services:', '  web: { image: x, env_file: [a.env, b.env] }'),
      'a.env': 'A=a\nB=a\n',
      'b.env': 'B=b\n',
    });
    expect(service(app, 'web').environment).toEqual({ A: 'a', B: 'b' });
  });

  it('environment overrides env_file, even with an empty value', () => {
    expect(envOf('A=file\nB=file\n', { environment: '{ A: "", C: c }' })).toEqual({
      A: '',
      B: 'file',
      C: 'c',
    });
  });

  it('an environment entry without value removes the variable an env file set, unless the shell has it (#environment)', () => {
    expect(envOf('A=file\nB=file\n', { environment: '[A, B]', env: { B: 'shell' } })).toEqual({ B: 'shell' });
  });

  it('#required: false skips a missing file; a missing required file is an error', () => {
    expect(envOf('A=1\n', { entry: '[a.env, { path: missing.env, required: false }]' })).toEqual({ A: '1' });
    expect(
      projectError({ 'compose.yaml': yaml('services:', '  web: { image: x, env_file: missing.env }') })
        .message,
    ).toMatch(/env_file missing\.env not found/);
  });

  it('env file interpolation sees the project variables (shell, .env) before the file itself', () => {
    const app = project(
      {
        'compose.yaml': yaml('services:', '  web: { image: x, env_file: a.env }'),
        '.env': 'FROM_DOTENV=d\n',
        'a.env': 'A=${FROM_DOTENV}\nB=${FROM_SHELL}\n',
      },
      { env: { FROM_SHELL: 's' } },
    );
    expect(service(app, 'web').environment).toEqual({ A: 'd', B: 's' });
  });
});
