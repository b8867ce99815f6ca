/**
 * One descriptor per managed engine (src/model/datastores/): every engine has one, each compose
 * datastore kind is replaced by at most one engine, and the readers (network engines, stand-ins,
 * callers' variables) take what the descriptor says.
 */
import { describe, expect, it } from 'vitest';
import { MANAGED_ENGINES, engineReplacing } from '../../../src/model/datastores/index.js';
import { NETWORK_ENGINES } from '../../../src/infra/datastores/index.js';

describe('managed engine descriptors', () => {
  const all = Object.values(MANAGED_ENGINES);
  it('each engine is named by its own key, and replaces kinds no other engine does', () => {
    for (const [key, d] of Object.entries(MANAGED_ENGINES)) expect(d.engine).toBe(key);
    const kinds = all.flatMap((d) => d.replaces);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const d of all) for (const k of d.replaces) expect(engineReplacing(k)).toBe(d);
    expect(engineReplacing('kafka')).toBeUndefined();
  });
  it('an engine is reached on a port or through the AWS API (a stand-in), never both nor neither', () => {
    for (const d of all) expect([d.port !== undefined, d.standIn !== undefined], d.engine).toContain(true);
    for (const d of all) expect(d.port !== undefined && d.standIn !== undefined, d.engine).toBe(false);
    expect([...NETWORK_ENGINES].sort()).toEqual(
      all
        .filter((d) => d.port !== undefined)
        .map((d) => d.engine)
        .sort(),
    );
  });
  it('network engines give callers a host variable, stand-ins their resource names', () => {
    for (const d of all.filter((x) => x.port !== undefined)) {
      const vars = d.variables({
        kind: d.replaces[0]!,
        port: d.port!,
        engine: d.engine,
        cloud: 'managed',
      } as never);
      expect(
        vars.some((v) => v.value.some((p) => typeof p !== 'string' && p.field === 'host')),
        d.engine,
      ).toBe(true);
    }
  });
});
