import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import { ShipshapeError, formatDiagnostic } from '../../../src/model/errors.js';
import { composeDir } from '../../support/compose-dir.js';

/** Load and return the user error it must raise. */
function userError(files: Record<string, string>): ShipshapeError {
  const cwd = composeDir(files);
  try {
    loadApp([], { cwd, env: {} });
  } catch (e) {
    expect(e).toBeInstanceOf(ShipshapeError);
    return e as ShipshapeError;
  }
  throw new Error('expected a user error');
}

describe('located user errors', () => {
  it('YAML syntax: file, line and column of the fault', () => {
    const e = userError({ 'compose.yaml': 'services:\n  web:\n    image: x\n   ports: [80]\n' });
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/invalid YAML/);
    expect(e.location).toMatchObject({ line: 4 });
    expect(e.location?.file).toMatch(/compose\.yaml$/);
    expect(e.hint).toBeTruthy();
  });

  it('duplicate keys are a YAML error', () => {
    const e = userError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    image: y\n' });
    expect(e.message).toMatch(/invalid YAML/);
    expect(e.location).toMatchObject({ line: 4 });
    expect(e.hint).toMatch(/repeated key/);
  });

  it('schema violation: path, location and what was expected', () => {
    const e = userError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    read_only: [yes]\n' });
    expect(e.path).toBe('services.web.read_only');
    expect(e.location).toMatchObject({ line: 4, column: 16 });
    expect(e.message).toMatch(/expected boolean/);
  });

  it('unknown service in depends_on', () => {
    const e = userError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    depends_on: [db]\n' });
    expect(e.message).toBe('"web" depends on unknown service "db"');
    // The path as written: the list item (a map form would give services.web.depends_on.db).
    expect(e.path).toBe('services.web.depends_on[0]');
    expect(e.location).toMatchObject({ line: 4 });
    expect(e.hint).toMatch(/known services: web/);
  });

  it('dependency cycle names the whole cycle', () => {
    const e = userError({
      'compose.yaml':
        'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n',
    });
    expect(e.message).toBe('dependency cycle: a -> b -> c -> a');
    expect(e.path).toBe('services.c.depends_on[0]');
    expect(e.location).toMatchObject({ line: 10 });
  });

  it('bad port: out of range, with the item path', () => {
    const e = userError({
      'compose.yaml': 'services:\n  web:\n    image: x\n    ports: ["80:8080", "70000:80"]\n',
    });
    expect(e.path).toBe('services.web.ports[1]');
    expect(e.message).toMatch(/host port 70000 is out of range/);
    expect(e.location).toMatchObject({ line: 4, column: 24 });
  });

  it('bad port: not a number', () => {
    const e = userError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    ports: ["http:80"]\n' });
    expect(e.path).toBe('services.web.ports[0]');
    expect(e.hint).toMatch(/1 to 65535/);
  });

  it('missing env_file names the file it looked for', () => {
    const e = userError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    env_file: web.env\n' });
    expect(e.message).toMatch(/env_file web.env not found/);
    expect(e.path).toBe('services.web.env_file');
    expect(e.location).toMatchObject({ line: 4, column: 15 });
    expect(e.hint).toMatch(/required: false/);
  });

  it('missing required variable', () => {
    const e = userError({ 'compose.yaml': 'services:\n  web:\n    image: "${IMAGE:?}"\n' });
    expect(e.message).toBe('required variable IMAGE is missing a value');
    expect(e.hint).toMatch(/set IMAGE/);
  });

  it('a service with neither image nor build', () => {
    const e = userError({ 'compose.yaml': 'services:\n  web:\n    user: "1000"\n' });
    expect(e.message).toMatch(/neither image nor build/);
    expect(e.path).toBe('services.web');
  });

  it('invalid x-shipshape value is located and points at the docs', () => {
    const e = userError({
      'compose.yaml': 'services:\n  web:\n    image: x\n    x-shipshape: { health-path: healthz }\n',
    });
    expect(e.path).toBe('services.web.x-shipshape.health-path');
    expect(e.hint).toMatch(/docs\/x-shipshape.md/);
  });

  it('undefined named volume', () => {
    const e = userError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    volumes: ["data:/data"]\n' });
    expect(e.message).toMatch(/undefined volume "data"/);
    expect(e.path).toBe('services.web.volumes[0]');
  });

  it('formats as one readable line plus a hint, no stack', () => {
    const e = userError({ 'compose.yaml': 'services:\n  web:\n    image: x\n    depends_on: [db]\n' });
    const text = formatDiagnostic(e.toDiagnostic());
    expect(text).toMatch(
      /^\/.*compose\.yaml:4:\d+: error: services\.web\.depends_on\[0\]: "web" depends on unknown service "db"\n {2}hint: /,
    );
    expect(text).not.toMatch(/at .*\.ts:/);
  });
});
