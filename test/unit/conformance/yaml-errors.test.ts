/**
 * YAML errors point at the line and column of the fault (issue 8: "a YAML indentation error on
 * line 4 is reported at line 3"), and the volume syntax of 05-services.md#volumes.
 */
import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { project, projectError, service, yaml } from '../../support/conformance.js';

const where = (text: string) => {
  const e = projectError({ 'compose.yaml': text });
  return { message: e.message, line: e.location?.line, column: e.location?.column, hint: e.hint };
};

describe('YAML errors are located at the fault', () => {
  it('a key indented deeper than its siblings: the line of that key, not the line above', () => {
    expect(where(yaml('services:', '  web:', '    image: x', '      ports: [80]'))).toMatchObject({
      line: 4,
      column: 7,
    });
  });

  it('a key indented less than its siblings: the line of that key', () => {
    expect(where(yaml('services:', '  web:', '    image: x', '   ports: [80]'))).toMatchObject({
      line: 4,
      column: 4,
    });
  });

  it('a list item out of line: the line of the item', () => {
    expect(
      where(yaml('services:', '  web:', '    image: x', '    environment:', '      A: 1', '     B: 2')),
    ).toMatchObject({
      line: 6,
      column: 6,
    });
  });

  it('a tab used for indentation: its line, with a hint about tabs', () => {
    const e = where('services:\n  web:\n\timage: x\n');
    expect(e).toMatchObject({ line: 3 });
    expect(e.hint).toMatch(/tabs/);
  });

  it('an unclosed quote: reported where the parser runs out, with a hint to check quotes', () => {
    const e = where(yaml('services:', '  web:', '    image: "x', '    user: y'));
    expect(e.message).toMatch(/invalid YAML/);
    expect(e.hint).toMatch(/quote/);
  });
});

describe('05-services.md#volumes, short syntax', () => {
  it('VOLUME:CONTAINER_PATH:ACCESS_MODE, relative and absolute host paths, anonymous volumes', () => {
    const app = project({
      'compose.yaml': yaml(
        'services:',
        '  web:',
        '    image: x',
        '    volumes: ["data:/var/lib/data:ro", "./conf:/etc/conf:z", "/abs:/abs:rw", "/anon", "../up:/up"]',
        'volumes: { data: {} }',
      ),
    });
    expect(service(app, 'web').volumes).toEqual([
      { type: 'volume', source: 'data', target: '/var/lib/data', readOnly: true },
      { type: 'bind', source: `${app.projectDir}/conf`, target: '/etc/conf', readOnly: false },
      { type: 'bind', source: '/abs', target: '/abs', readOnly: false },
      { type: 'volume', source: undefined, target: '/anon', readOnly: false },
      { type: 'bind', source: app.projectDir.replace(/\/[^/]+$/, '/up'), target: '/up', readOnly: false },
    ]);
  });

  it('~ in a bind source is the home directory (compose-go paths.ExpandUser)', () => {
    const app = project({
      'compose.yaml': yaml('services:', '  web: { image: x, volumes: ["~/cache:/cache", "~:/home"] }'),
    });
    expect(service(app, 'web').volumes.map((v) => v.source)).toEqual([`${homedir()}/cache`, homedir()]);
  });

  it('too many colons is a located error', () => {
    const e = projectError({
      'compose.yaml': yaml('services:', '  web: { image: x, volumes: ["a:/b:ro:x"] }'),
    });
    expect(e.message).toMatch(/too many colons/);
    expect(e.path).toBe('services.web.volumes[0]');
  });
});
