import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerfileUser } from '../../../src/infra/image-user.js';
import { findUnsafeSettings } from '../../../src/infra/unsafe.js';
import type { ServiceModel } from '../../../src/model/types.js';
import { composeStack, example, load } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'shipshape-image-user-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function built(dockerfile: string, target?: string): ServiceModel {
  const name = `Dockerfile.${Math.random().toString(36).slice(2)}`;
  writeFileSync(join(dir, name), dockerfile);
  const app = load(example('hello-lb'));
  const s = app.services[0]!;
  return { ...s, user: undefined, build: { context: dir, dockerfile: name, args: {}, target } };
}

describe("the image's user, from its Dockerfile", () => {
  it('is the last USER of the final stage', () => {
    expect(
      dockerfileUser(built('FROM a AS build\nUSER builder\nFROM b\nUSER app\nRUN x\nUSER 1000:1000\n')),
    ).toBe('1000:1000');
    expect(dockerfileUser(built('from a\n# USER commented\nuser \\\n  web\n'))).toBe('web');
  });

  it('is root when the final stage sets none (an earlier stage does not count)', () => {
    expect(dockerfileUser(built('FROM a AS build\nUSER builder\nFROM b\nCMD x\n'))).toBe('root');
  });

  it('is unknown for build variables, other targets and services that are not built', () => {
    expect(dockerfileUser(built('FROM a\nUSER ${APP_USER}\n'))).toBeUndefined();
    expect(dockerfileUser(built('FROM a\nUSER x\n', 'dev'))).toBeUndefined();
    expect(dockerfileUser({ ...load(example('hello-lb')).services[0]!, build: undefined })).toBeUndefined();
  });

  it('a built image that runs as root is an unsafe setting; one with USER is not', () => {
    const app = load(example('hello-lb'));
    expect(findUnsafeSettings(app)).toEqual([]);
    app.services[0] = built('FROM node:20\nCMD node\n');
    expect(findUnsafeSettings(app).map((f) => [f.rule, f.path])).toEqual([
      ['root-user', 'services.hello.build'],
    ]);
  });

  it("the task definition states the image's user", () => {
    const { template } = composeStack({ compose: example('web-api') });
    const users = Object.values(template.findResources('AWS::ECS::TaskDefinition')).map(
      (t) => t.Properties.ContainerDefinitions[0].User,
    );
    expect(users.sort()).toEqual(['api', 'node']);
  });
});
