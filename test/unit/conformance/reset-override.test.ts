/**
 * `!reset` and `!override` (Compose Specification 13-merge.md#reset-value and #replace-value),
 * with compose-go loader/reset.go where the text is silent.
 */
import { describe, expect, it } from 'vitest';
import { project, service, yaml } from '../../support/conformance.js';

const two = (base: string, override: string) =>
  project({ 'compose.yaml': base, 'override.yaml': override }, { files: ['compose.yaml', 'override.yaml'] });

const BASE = yaml(
  'services:',
  '  app:',
  '    image: myapp',
  '    ports: ["8080:80"]',
  '    environment: { FOO: BAR, KEEP: "1" }',
  '    command: ["serve"]',
  '    volumes: ["data:/data"]',
  'volumes: { data: {}, other: {} }',
);

describe('13-merge.md: !reset and !override', () => {
  it('#reset-value: the specification example (ports: !reset [], FOO: !reset null)', () => {
    const app = two(
      BASE,
      yaml(
        'services:',
        '  app:',
        '    image: myapp',
        '    ports: !reset []',
        '    environment:',
        '      FOO: !reset null',
      ),
    );
    const s = service(app, 'app');
    expect(s.ports).toEqual([]);
    expect(s.environment).toEqual({ KEEP: '1' });
  });

  it('#reset-value: command: !reset null falls back to the image default (no ["null"])', () => {
    const app = two(BASE, yaml('services:', '  app:', '    command: !reset null'));
    expect(service(app, 'app').command).toBeUndefined();
  });

  it('#reset-value: a reset mapping key removes the whole value, whatever the value written', () => {
    const app = two(
      BASE,
      yaml('services:', '  app:', '    environment: !reset {}', '    volumes: !reset []'),
    );
    expect(service(app, 'app').environment).toEqual({});
    expect(service(app, 'app').volumes).toEqual([]);
  });

  it('#replace-value: ports: !override replaces instead of appending (the specification example)', () => {
    const app = two(BASE, yaml('services:', '  app:', '    ports: !override', '      - "8443:443"'));
    expect(service(app, 'app').ports).toEqual([
      { target: 443, published: 8443, hostIp: undefined, protocol: 'tcp' },
    ]);
  });

  it('#replace-value: volumes: !override replaces the list', () => {
    const app = two(BASE, yaml('services:', '  app:', '    volumes: !override ["other:/other"]'));
    expect(service(app, 'app').volumes.map((v) => v.target)).toEqual(['/other']);
  });

  it('#replace-value: environment: !override replaces the map instead of merging keys', () => {
    const app = two(BASE, yaml('services:', '  app:', '    environment: !override { ONLY: "1" }'));
    expect(service(app, 'app').environment).toEqual({ ONLY: '1' });
  });

  it('!reset on a whole service removes it from the model (reset.go deletes the path)', () => {
    const app = two(
      yaml('services:', '  app: { image: a }', '  debug: { image: b }'),
      yaml('services:', '  debug: !reset {}'),
    );
    expect(app.services.map((s) => s.name)).toEqual(['app']);
  });

  it('!reset also clears what the extended service brings (reset.go: applied to the extends base)', () => {
    const app = project({
      'compose.yaml': yaml(
        'services:',
        '  base: { image: a, ports: ["80:80"], environment: { A: "1", B: "1" } }',
        '  web:',
        '    extends: base',
        '    ports: !reset []',
        '    environment: { A: !reset null }',
      ),
    });
    expect(service(app, 'web').ports).toEqual([]);
    expect(service(app, 'web').environment).toEqual({ B: '1' });
  });

  it('!override on a scalar keeps its YAML type', () => {
    const app = two(BASE, yaml('services:', '  app:', '    deploy: { replicas: !override 3 }'));
    expect(service(app, 'app').replicas).toBe(3);
  });

  it('!reset behind a YAML anchor applies where the anchor is used', () => {
    const app = two(BASE, yaml('x-clear: &clear !reset []', 'services:', '  app:', '    ports: *clear'));
    expect(service(app, 'app').ports).toEqual([]);
  });
});
