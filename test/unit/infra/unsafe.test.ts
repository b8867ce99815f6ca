import { describe, expect, it } from 'vitest';
import { ExitCode, ShipshapeError } from '../../../src/model/errors.js';
import { loadApp } from '../../../src/model/load.js';
import {
  assertNoUnsafeSettings,
  findUnsafeSettings,
  isSensitive,
  isSensitiveName,
} from '../../../src/infra/unsafe.js';

const fixture = (name: string) =>
  new URL(`../../fixtures/infra/${name}/compose.yaml`, import.meta.url).pathname;

describe('unsafe settings gate', () => {
  it('recognizes credential-looking variable names', () => {
    for (const n of ['DB_PASSWORD', 'api_key', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'STRIPE_APIKEY']) {
      expect(isSensitiveName(n), n).toBe(true);
    }
    for (const n of ['LOG_LEVEL', 'PORT', 'API_URL', 'KEYBOARD_LAYOUT']) {
      expect(isSensitiveName(n), n).toBe(false);
    }
  });

  it('recognizes URLs with a password as credentials, whatever the variable is called', () => {
    expect(isSensitive('DATABASE_URL', 'postgres://shop:s3cret@db:5432/shop')).toBe(true);
    expect(isSensitive('CACHE', 'redis://:s3cret@cache:6379')).toBe(true); // password only
    expect(isSensitive('API_URL', 'http://api:5000')).toBe(false);
    expect(isSensitive('LINK', 'https://user@example.com/x')).toBe(false);
  });

  it('lists every unsafe setting with its rule, path and file:line', () => {
    const app = loadApp([fixture('unsafe')]);
    const findings = findUnsafeSettings(app);
    expect(findings.map((f) => [f.rule, f.path])).toEqual([
      ['privileged', 'services.agent.privileged'],
      ['root-user', 'services.agent.user'],
      ['host-network', 'services.sniffer.network_mode'],
      ['plain-secret', 'services.web.environment.DB_PASSWORD'],
    ]);
    for (const f of findings) {
      expect(f.location.file).toBe(fixture('unsafe'));
      expect(f.location.line).toBeGreaterThan(0);
      expect(f.acknowledged).toBeUndefined();
    }
  });

  it('fails with exit 2 and one diagnostic per finding', () => {
    const app = loadApp([fixture('unsafe')]);
    let error: unknown;
    try {
      assertNoUnsafeSettings(app);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShipshapeError);
    const e = error as ShipshapeError;
    expect(e.exitCode).toBe(ExitCode.usage);
    expect(e.message).toMatch(/4 unsafe setting/);
    expect([e.path, ...e.more.map((d) => d.path)]).toEqual([
      'services.agent.privileged',
      'services.agent.user',
      'services.sniffer.network_mode',
      'services.web.environment.DB_PASSWORD',
    ]);
    expect(e.more.every((d) => d.hint?.includes('acknowledge'))).toBe(true);
  });

  it('passes when each finding is acknowledged (app- or service-level) and reports the reasons', () => {
    const app = loadApp([fixture('unsafe-acknowledged')]);
    const findings = assertNoUnsafeSettings(app);
    expect(findings.map((f) => [f.rule, f.acknowledged?.reason])).toEqual([
      ['privileged', 'the agent loads a kernel module (reviewed by security)'],
      ['root-user', 'the vendor image only runs as root'],
      ['plain-secret', 'demo credentials for a throwaway database'],
    ]);
  });

  it('does not flag an empty sensitive variable (its value comes from Secrets Manager)', () => {
    const app = loadApp([fixture('postgres')]);
    expect(findUnsafeSettings(app)).toEqual([]);
  });
});
