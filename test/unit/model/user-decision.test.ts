import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../../src/model/dockerfile.js';
import { parseImageRef } from '../../../src/model/image-ref.js';
import { decideUser, isRootUser, runsAsRoot } from '../../../src/model/intent/user.js';

const svc = (user?: string, target?: string) => ({
  name: 'api',
  user,
  build: { context: '/app', dockerfile: 'Dockerfile', args: {}, ...(target ? { target } : {}) },
  location: { file: 'compose.yaml', line: 1, column: 1 },
});
const fromDockerfile = (text: string, target?: string, args: Record<string, string> = {}) =>
  decideUser(
    svc(undefined, target),
    parseDockerfile(text, '/app/Dockerfile', args, target),
    undefined,
    undefined,
  );

describe('runs as root: one rule', () => {
  it('root is uid 0 or "root", with or without a group, and no user at all', () => {
    for (const u of ['0', 'root', '0:0', 'root:root', 'root:staff', '0:1000', '', undefined])
      expect(isRootUser(u), String(u)).toBe(true);
    for (const u of ['1000', 'node', '1000:0', 'app:root', '65532:65532', 'rooty'])
      expect(isRootUser(u), u).toBe(false);
  });

  it('compose user wins over the Dockerfile', () => {
    const d = decideUser(
      svc('0:0'),
      parseDockerfile('FROM a\nUSER app\n', '/app/Dockerfile'),
      undefined,
      undefined,
    );
    expect(d).toMatchObject({ user: '0:0', root: true, source: 'compose' });
  });

  it('reads the stage that is really built: the last, or build.target', () => {
    const text =
      'FROM node:20 AS builder\nRUN npm ci\nFROM builder AS dev\nCMD npm run dev\nFROM node:20-slim\nUSER node\n';
    expect(fromDockerfile(text)).toMatchObject({ user: 'node', root: false, location: { line: 6 } });
    // build.target: dev inherits builder, which sets no USER: root (this used to be skipped).
    expect(fromDockerfile(text, 'dev')).toMatchObject({ root: true });
    expect(fromDockerfile(text, 'dev').reason).toMatch(/stage "dev".*sets no USER/);
  });

  it('USER is inherited from the stage a stage builds on', () => {
    expect(fromDockerfile('FROM a AS base\nUSER 1000\nFROM base AS app\nCMD x\n')).toMatchObject({
      user: '1000',
      root: false,
    });
  });

  it('catches USER 0, USER root:root and USER 0:0', () => {
    for (const u of ['0', 'root:root', '0:0'])
      expect(fromDockerfile(`FROM a\nUSER ${u}\n`).root, u).toBe(true);
  });

  it('resolves ARG defaults and compose build args; an unresolvable variable is unknown', () => {
    expect(fromDockerfile('FROM a\nARG UID=1001\nUSER ${UID}:${UID}\n')).toMatchObject({
      user: '1001:1001',
      root: false,
    });
    expect(fromDockerfile('FROM a\nARG UID=1001\nUSER $UID\n', undefined, { UID: '0' })).toMatchObject({
      root: true,
    });
    expect(fromDockerfile('FROM a\nARG UID\nUSER ${UID}\n').root).toBe('unknown');
  });

  it('handles continuations, comments and lower-case keywords (a parser, not a line scan)', () => {
    expect(fromDockerfile('from a\n# USER commented\nuser \\\n  web\n')).toMatchObject({
      user: 'web',
      root: false,
    });
  });

  it('a base image known to run non-root counts when no stage sets USER', () => {
    expect(fromDockerfile('FROM gcr.io/distroless/nodejs20-debian12:nonroot\nCOPY . /app\n')).toMatchObject({
      root: false,
      user: '65532',
    });
  });

  it("an image-only service is the image's own user: unknown until an engine reads it, root without one", () => {
    const d = decideUser(
      { ...svc(), build: undefined },
      undefined,
      parseImageRef('example/web:1'),
      undefined,
    );
    expect(d.root).toBe('unknown');
    expect(runsAsRoot(d)).toBe(true);
    expect(runsAsRoot(d, 'app')).toBe(false);
    expect(runsAsRoot(d, '')).toBe(true);
    const grafana = decideUser(
      { ...svc(), build: undefined },
      undefined,
      parseImageRef('grafana/grafana:11.0.0'),
      undefined,
    );
    expect(grafana).toMatchObject({ root: false, user: '472' });
  });
});
