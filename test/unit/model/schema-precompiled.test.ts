/**
 * The build's precompiled compose validator (Ajv standalone code, dist/precompiled) must judge every
 * document exactly as the validator compiled at run time, and must not be used once the schema
 * file it was made from changes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadComposeValidator, precompiledValidatorSource } from '../../../src/model/schema.js';

// Inside the project, where the generated code's require('ajv/dist/runtime/...') resolves.
const cache = resolve(import.meta.dirname, '../../../node_modules/.cache');
mkdirSync(cache, { recursive: true });
const tmp = mkdtempSync(join(cache, 'shipshape-validator-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const source = precompiledValidatorSource();
const precompiledFile = join(tmp, 'compose-validator.cjs');
writeFileSync(precompiledFile, source);

const example = (name: string) =>
  parse(readFileSync(new URL(`../../../examples/${name}/compose.yaml`, import.meta.url), 'utf8')) as unknown;

const documents: Record<string, unknown> = {
  'web-api example': example('web-api'),
  'hello-lb example': example('hello-lb'),
  'unknown keys at several depths': {
    services: {
      web: { image: 'x', imagee: 1, deploy: { resourcez: {} }, healthcheck: { tst: ['CMD'] } },
    },
    networks: { n: { drivr: 'bridge' } },
  },
  'wrong types and forms': {
    services: { web: { image: 3, ports: [{ target: 'eighty' }], build: { contxt: '.' }, restart: 7 } },
  },
  'a required key missing': { services: { web: { image: 'x', secrets: [{ target: 'a' }] } }, secrets: {} },
  'not an object': ['services'],
};

describe('precompiled compose validator', () => {
  const precompiled = loadComposeValidator(precompiledFile);
  const compiled = loadComposeValidator(join(tmp, 'does-not-exist.cjs'));

  it('is used when it was made from the installed schema', () => {
    expect(precompiled.origin).toBe('precompiled');
    expect(compiled.origin).toBe('compiled');
  });

  it.each(Object.entries(documents))('judges %s exactly as the compiled validator', (_name, doc) => {
    const a = precompiled.validate(structuredClone(doc));
    const b = compiled.validate(structuredClone(doc));
    expect(a).toBe(b);
    expect(precompiled.validate.errors ?? null).toEqual(compiled.validate.errors ?? null);
  });

  it('finds the problems (so the comparison above is not between two empty lists)', () => {
    expect(precompiled.validate(structuredClone(documents['unknown keys at several depths']))).toBe(false);
    const keys = precompiled.validate.errors!.map((e) => e.params.additionalProperty as string);
    expect(keys).toEqual(expect.arrayContaining(['imagee', 'resourcez', 'tst', 'drivr']));
  });

  it('is not used when the schema changed since the build', () => {
    const stale = join(tmp, 'stale.cjs');
    writeFileSync(stale, source.replace(/schemaSha256 = "[0-9a-f]+"/, 'schemaSha256 = "0000"'));
    expect(loadComposeValidator(stale).origin).toBe('compiled');
  });
});
