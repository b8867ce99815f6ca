import { describe, expect, it } from 'vitest';
import type { AppModel, ServiceModel } from '../../../src/model/types.js';
import { defaultTag, effectiveArgv, exposedPorts, probePorts } from '../../../src/slim/slim.js';
import { parseProbe } from '../../../src/slim/probes.js';

const service = (over: Partial<ServiceModel>): ServiceModel =>
  ({ name: 'api', servicePorts: [], ...over }) as ServiceModel;

describe('effectiveArgv (compose override rules)', () => {
  it('joins the image entrypoint and cmd', () => {
    expect(effectiveArgv(['docker-entrypoint.sh'], ['node', 'server.js'])).toEqual([
      'docker-entrypoint.sh',
      'node',
      'server.js',
    ]);
    expect(effectiveArgv(null, ['python3', 'app.py'])).toEqual(['python3', 'app.py']);
  });
  it('lets `command` replace CMD and `entrypoint` drop CMD', () => {
    expect(effectiveArgv(['/e'], ['a'], service({ command: ['b'] }))).toEqual(['/e', 'b']);
    expect(effectiveArgv(['/e'], ['a'], service({ entrypoint: ['/f'] }))).toEqual(['/f']);
    expect(effectiveArgv(['/e'], ['a'], service({ entrypoint: ['/f'], command: ['c'] }))).toEqual([
      '/f',
      'c',
    ]);
  });
});

describe('probePorts', () => {
  it('probes the ports compose declares, else the image’s TCP EXPOSE as candidates, unless --port chooses', () => {
    expect(exposedPorts({ '8080/tcp': {}, '53/udp': {} })).toEqual([8080]);
    // An image EXPOSE (and the model's listen ports built from it) is not proof anything listens.
    const declared = service({
      servicePorts: [5000, 80],
      intent: { listenPorts: [80, 5000, 9999] } as ServiceModel['intent'],
    });
    expect(probePorts({ '9999/tcp': {} }, declared)).toEqual({ ports: [80, 5000], discoverPorts: false });
    expect(probePorts({ '8080/tcp': {}, '9999/tcp': {} }, service({}))).toEqual({
      ports: [8080, 9999],
      discoverPorts: true,
    });
    expect(probePorts({ '8080/tcp': {} }, declared, [7000, 7000])).toEqual({
      ports: [7000],
      discoverPorts: false,
    });
    expect(probePorts(undefined)).toEqual({ ports: [], discoverPorts: true });
  });
});

describe('tags', () => {
  it('derives the slim tag from the image or the app', () => {
    expect(defaultTag({ kind: 'image', ref: 'node:20-bookworm-slim' })).toBe('node:20-bookworm-slim-slim');
    expect(defaultTag({ kind: 'image', ref: 'registry:5000/team/app' })).toBe('registry:5000/team/app:slim');
    const app = { name: 'Web API' } as AppModel;
    expect(
      defaultTag({
        kind: 'service',
        app,
        service: service({ build: { context: '/x', dockerfile: 'Dockerfile', args: {} } }),
      }),
    ).toBe('web-api-api:slim');
    expect(defaultTag({ kind: 'service', app, service: service({ image: 'postgres:16' }) })).toBe(
      'postgres:16-slim',
    );
  });
  it('tags a service with build: and image: after its image: name (compose tags the build so)', () => {
    const app = { name: 'shop' } as AppModel;
    const built = { build: { context: '/x', dockerfile: 'Dockerfile', args: {} } };
    expect(
      defaultTag({
        kind: 'service',
        app,
        service: service({ ...built, image: '127.0.0.1:5000/shop/api:1.2' }),
      }),
    ).toBe('127.0.0.1:5000/shop/api:1.2-slim');
    expect(defaultTag({ kind: 'image', ref: `app:1@sha256:${'a'.repeat(64)}` })).toBe('app:1-slim');
  });
});

describe('parseProbe', () => {
  it('accepts http:PATH and /PATH, and refuses anything else', () => {
    expect(parseProbe('http:/healthz')).toBe('/healthz');
    expect(parseProbe('/')).toBe('/');
    expect(() => parseProbe('tcp:5432')).toThrow(/not http:PATH/);
  });
});
