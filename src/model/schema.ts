import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ajv as AjvClass, ErrorObject, Options, ValidateFunction } from 'ajv';
import type { DocPath } from './yaml-source.js';

/**
 * Validation against the official Compose Specification JSON Schema. The schema file is the
 * compose-spec project's `compose-spec.json`, as shipped in the `dclint` package (the maintained
 * npm package that carries the current schema; it is not copied into this repository).
 *
 * Compiling the schema with Ajv takes ~0.3 s, more than the rest of `shipshape config`. So the
 * build compiles it once into standalone JavaScript (Ajv's own code generation, written to
 * dist/precompiled/compose-validator.cjs by scripts/build.mjs) and the CLI loads that. Without a
 * build, or when the schema or Ajv changed since (the file records a hash of both), it compiles at
 * start-up.
 */

const require = createRequire(import.meta.url);

// strict: false because the official schema uses annotations (deprecated, $comment) that
// Ajv's strict mode rejects; allErrors to find every unknown key in one pass;
// validateSchema: false because the file names its meta-schema by an https URL Ajv does not alias;
// verbose to read the known keys (parentSchema) for "did you mean" hints.
const AJV_OPTIONS: Options = {
  allErrors: true,
  strict: false,
  verbose: true,
  validateSchema: false,
  // One function per schema definition instead of copies inlined at every use: a quarter less
  // code to load, and V8 compiles only the definitions a document reaches.
  inlineRefs: false,
};

/**
 * Where the build writes the precompiled validator. This module sits two levels below the package
 * root in every layout (src/model, dist/model, the CLI bundle's dist/bin), so one relative URL works.
 */
export function precompiledValidatorPath(): string {
  return fileURLToPath(new URL('../../dist/precompiled/compose-validator.cjs', import.meta.url));
}

let validator: ValidateFunction | undefined;

export function composeSchemaPath(): string {
  return join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
}

/**
 * The schema text, and a fingerprint of everything the compiled validator depends on: the schema,
 * the Ajv options and Ajv's version (a precompiled validator made from anything else is not used).
 */
function readSchema(): { text: string; sha256: string } {
  const text = readFileSync(composeSchemaPath(), 'utf8');
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  const sha256 = createHash('sha256')
    .update(JSON.stringify([text, AJV_OPTIONS, ajvVersion]))
    .digest('hex');
  return { text, sha256 };
}

function newAjv(options: Options = {}): AjvClass {
  // Required lazily: Ajv's compiler is needed only when there is no precompiled validator.
  const { Ajv } = require('ajv') as typeof import('ajv');
  return new Ajv({ ...AJV_OPTIONS, ...options });
}

/**
 * The validator as standalone CommonJS source, for the build. It records the fingerprint of what
 * it was made from, so a validator built from another schema, options or Ajv is never used.
 */
export function precompiledValidatorSource(): string {
  const { text, sha256 } = readSchema();
  const ajv = newAjv({ code: { source: true } });
  const validate = ajv.compile(JSON.parse(text) as object);
  const { default: standaloneCode } =
    require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js');
  return `${standaloneCode(ajv, validate)}\nmodule.exports.schemaSha256 = ${JSON.stringify(sha256)};\n`;
}

export interface LoadedValidator {
  validate: ValidateFunction;
  /** The build's precompiled validator, or one compiled now (no build, or another schema). */
  origin: 'precompiled' | 'compiled';
}

/** The precompiled validator at `file` when it was made from the installed schema, else a compiled one. */
export function loadComposeValidator(file = precompiledValidatorPath()): LoadedValidator {
  const { text, sha256 } = readSchema();
  if (existsSync(file)) {
    const precompiled = require(file) as ValidateFunction & { schemaSha256?: string };
    if (precompiled.schemaSha256 === sha256) return { validate: precompiled, origin: 'precompiled' };
  }
  return { validate: newAjv().compile(JSON.parse(text) as object), origin: 'compiled' };
}

function getValidator(): ValidateFunction {
  validator ??= loadComposeValidator().validate;
  return validator;
}

export interface SchemaProblem {
  path: DocPath;
  message: string;
  hint?: string;
}

export interface SchemaResult {
  /** Keys the schema does not know, removed from the document (compose would reject them; we warn). */
  unknownKeys: { path: DocPath; key: string; suggestion?: string }[];
  problems: SchemaProblem[];
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function getAt(doc: unknown, path: DocPath): unknown {
  let cur: unknown = doc;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** Closest known key by edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

function describe(e: ErrorObject): string {
  switch (e.keyword) {
    case 'type':
      return `expected ${String(e.params.type).replace(/,/g, ' or ')}`;
    case 'enum':
      return `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'required':
      return `missing required key "${String(e.params.missingProperty)}"`;
    case 'oneOf':
    case 'anyOf':
      return 'has a form the Compose Specification does not allow here';
    case 'uniqueItems':
      return 'must not repeat items';
    case 'pattern':
      return `does not match the allowed pattern ${String(e.params.pattern)}`;
    default:
      return e.message ?? 'is not valid';
  }
}

/**
 * Validate `doc` (mutating it: unknown keys are deleted so the rest can be checked).
 * Returns the unknown keys and, if any remain, the most specific schema problems.
 */
export function validateCompose(doc: unknown): SchemaResult {
  const validate = getValidator();
  const unknownKeys: SchemaResult['unknownKeys'] = [];
  for (let round = 0; round < 20; round++) {
    if (validate(doc)) return { unknownKeys, problems: [] };
    const errors = validate.errors ?? [];
    let removed = false;
    for (const e of errors) {
      if (e.keyword !== 'additionalProperties') continue;
      const parentPath = pointerToPath(e.instancePath);
      const parent = getAt(doc, parentPath);
      const key = String(e.params.additionalProperty);
      if (parent && typeof parent === 'object' && !Array.isArray(parent) && key in parent) {
        const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        delete (parent as Record<string, unknown>)[key];
        unknownKeys.push({ path: [...parentPath, key], key, suggestion: closest(key, known) });
        removed = true;
      }
    }
    if (!removed) return { unknownKeys, problems: pickProblems(errors) };
  }
  return { unknownKeys, problems: pickProblems(validate.errors ?? []) };
}

/** Ajv reports every failed oneOf branch; keep the deepest, most concrete error per location. */
function pickProblems(errors: ErrorObject[]): SchemaProblem[] {
  const depth = (e: ErrorObject) => pointerToPath(e.instancePath).length + (e.keyword === 'required' ? 1 : 0);
  const rank = (e: ErrorObject) =>
    e.keyword === 'oneOf' || e.keyword === 'anyOf' ? 0 : e.keyword === 'type' ? 1 : 2;
  const sorted = [...errors].sort((a, b) => depth(b) - depth(a) || rank(b) - rank(a));
  const seen = new Set<string>();
  const out: SchemaProblem[] = [];
  for (const e of sorted) {
    if (seen.has(e.instancePath)) continue;
    seen.add(e.instancePath);
    out.push({ path: pointerToPath(e.instancePath), message: describe(e) });
  }
  return out;
}
