import { describe, expect, it } from 'vitest';
import { ExitCode, ShipshapeError } from '../../../src/model/errors.js';
import { isSensitive } from '../../../src/model/intent/index.js';
import { loadApp } from '../../../src/model/load.js';
import { assertCloudReady, gateFindings } from '../../../src/model/gate.js';

const fixture = (name: string) =>
  new URL(`../../fixtures/infra/${name}/compose.yaml`, import.meta.url).pathname;

function refusal(run: () => unknown): ShipshapeError {
  try {
    run();
  } catch (e) {
    if (e instanceof ShipshapeError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('the cloud gate', () => {
  it('recognizes credentials by variable name, and URLs with a password whatever the name', () => {
    for (const n of ['DB_PASSWORD', 'api_key', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'STRIPE_APIKEY']) {
      expect(isSensitive(n, 'x'), n).toBe(true);
    }
    for (const n of ['LOG_LEVEL', 'PORT', 'API_URL', 'KEYBOARD_LAYOUT'])
      expect(isSensitive(n, 'x'), n).toBe(false);
    expect(isSensitive('DATABASE_URL', 'postgres://shop:s3cret@db:5432/shop')).toBe(true);
    expect(isSensitive('CACHE', 'redis://:s3cret@cache:6379')).toBe(true);
    expect(isSensitive('API_URL', 'http://api:5000')).toBe(false);
    expect(isSensitive('LINK', 'https://user@example.com/x')).toBe(false);
  });

  it('lists every unsafe setting with its rule, path and file:line', () => {
    const findings = gateFindings(loadApp([fixture('unsafe')]));
    expect(findings.map((f) => [f.rule, f.path])).toEqual([
      ['privileged', 'services.agent.privileged'],
      ['root-user', 'services.agent.user'],
      ['host-network', 'services.sniffer.network_mode'],
      ['root-user', 'services.sniffer.image'],
      ['plain-secret', 'services.web.environment.DB_PASSWORD'],
      ['root-user', 'services.web.image'],
    ]);
    for (const f of findings) {
      expect(f.location?.file).toBe(fixture('unsafe'));
      expect(f.location?.line).toBeGreaterThan(0);
      expect(f.acknowledged).toBeUndefined();
    }
    const secret = findings.find((f) => f.rule === 'plain-secret')!;
    expect(secret.location?.line).toBe(15); // the DB_PASSWORD line, not the service
  });

  it('refuses with exit 2, listing every finding with its fix at once', () => {
    const e = refusal(() => assertCloudReady(loadApp([fixture('unsafe')])));
    expect(e.exitCode).toBe(ExitCode.usage);
    expect(e.message).toMatch(/^6 setting\(s\) cannot go to the cloud/);
    expect([e.path, ...e.more.map((d) => d.path)]).toHaveLength(6);
    expect([e.hint, ...e.more.map((d) => d.hint)].every((h) => h?.includes('acknowledge'))).toBe(true);
  });

  it('passes when each finding is acknowledged (app- or service-level) and returns the reasons', () => {
    const acknowledged = assertCloudReady(loadApp([fixture('unsafe-acknowledged')])).acknowledgedUnsafe;
    expect(acknowledged.map((f) => [f.rule, f.acknowledged?.reason])).toEqual([
      ['privileged', 'the agent loads a kernel module (reviewed by security)'],
      ['root-user', 'the vendor image only runs as root'],
      ['plain-secret', 'demo credentials for a throwaway database'],
    ]);
  });

  it('judges nothing of a managed datastore, and no empty or interpolated credential', () => {
    expect(gateFindings(loadApp([fixture('postgres')]))).toEqual([]);
  });
});
