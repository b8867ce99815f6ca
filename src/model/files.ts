/**
 * Reading compose files into one merged, canonical document, in the order of compose-go's loader
 * (loader.go `loadYamlFile`): per file, parse (with `!reset`/`!override`), interpolate, check the
 * schema, canonicalize, import `include`d projects, remove what `!reset`/`!override` clear from
 * the files before, resolve `extends`, then merge onto the files before.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { absPath, canonicalize } from './canonical.js';
import { EnvFileError, parseEnvFile } from './dotenv.js';
import { ShipshapeError } from './errors.js';
import { InterpolationError, interpolateDocument, type Variables } from './interpolate.js';
import { applyResets, cloneWithOrigins, isObj, mergeAt, mergeDocuments, type Obj } from './merge.js';
import { originOf, setOrigin, stamp, type Origin } from './origin.js';
import { validateCompose } from './schema.js';
import { readTextFile } from './text-file.js';
import type { Diagnostic } from './types.js';
import { formatPath, readYamlFile, type DocPath, type YamlSource } from './yaml-source.js';

export type Lookup = (name: string) => string | undefined;

export interface LoadScope {
  /** Directory relative paths resolve against (the project directory of this (sub-)project). */
  workingDir: string;
  /** Variables for interpolation. */
  env: Lookup;
  warnings: Diagnostic[];
  /** Files whose `include` led here, to detect include cycles. */
  included: string[];
}

export interface ParsedFile {
  source: YamlSource;
  doc: Obj;
}

/** A user error located where `origin` points (or at the file's top). */
export function failAt(origin: Origin | undefined, message: string, hint?: string): never {
  throw new ShipshapeError(message, {
    location: origin ? origin.source.locate(origin.path) : undefined,
    path: origin ? formatPath(origin.path) : undefined,
    hint,
  });
}

/** Read, interpolate, schema-check and canonicalize one compose file. */
export function readComposeFile(file: string, scope: LoadScope): ParsedFile {
  const source = readYamlFile(file);
  if (source.value === null || source.value === undefined) {
    throw new ShipshapeError('compose file is empty', {
      location: { file, line: 1, column: 1 },
      hint: 'define at least one service under `services:`',
    });
  }
  if (!isObj(source.value)) {
    throw new ShipshapeError('compose file must be a mapping', {
      location: source.locate([]),
      hint: 'start with `services:`',
    });
  }
  const doc = interpolate(source, scope);
  validate(source, doc, scope.warnings);
  if (doc.version !== undefined) {
    scope.warnings.push({
      severity: 'warning',
      message: '`version` is obsolete and ignored',
      path: 'version',
      location: source.locateKey(['version']),
      hint: 'remove it; the Compose Specification has no version',
    });
    delete doc.version;
  }
  stamp(doc, source);
  canonicalize(doc, { workingDir: scope.workingDir, fail: failAt });
  return { source, doc };
}

function interpolate(source: YamlSource, scope: LoadScope): Obj {
  try {
    const result = interpolateDocument(source.value, scope.env);
    const seen = new Set<string>();
    for (const u of result.unset) {
      if (seen.has(u.variable)) continue;
      seen.add(u.variable);
      scope.warnings.push({
        severity: 'warning',
        message: `variable ${u.variable} is not set; using an empty string`,
        path: formatPath(u.path),
        location: source.locate(u.path),
        hint: `set ${u.variable} in the environment or in .env, or write \${${u.variable}:-default}`,
      });
    }
    return result.value as Obj;
  } catch (e) {
    if (e instanceof InterpolationError) {
      throw new ShipshapeError(e.message, {
        location: source.locate(e.path),
        path: formatPath(e.path),
        hint: e.variable
          ? `set ${e.variable} in the environment or in .env`
          : 'write ${VAR} or $$ for a literal $',
      });
    }
    throw e;
  }
}

function validate(source: YamlSource, doc: Obj, warnings: Diagnostic[]): void {
  const { unknownKeys, problems } = validateCompose(doc);
  for (const u of unknownKeys) {
    warnings.push({
      severity: 'warning',
      message: `unknown key "${u.key}" is ignored`,
      path: formatPath(u.path),
      location: source.locateKey(u.path),
      hint: u.suggestion
        ? `did you mean "${u.suggestion}"?`
        : 'see the Compose Specification for the allowed keys; custom keys start with x-',
    });
  }
  const first = problems[0];
  if (first) {
    throw new ShipshapeError(first.message, {
      location: source.locate(first.path),
      path: formatPath(first.path),
      hint: first.hint ?? 'see the Compose Specification for this key',
      more: problems.slice(1, 10).map((p) => ({
        severity: 'error',
        message: p.message,
        path: formatPath(p.path),
        location: source.locate(p.path),
      })),
    });
  }
}

/** Load `files` (merged in order) as one project: the merged canonical document. */
export function loadModel(files: string[], scope: LoadScope): Obj {
  let dict: Obj = {};
  const extendsCache = new Map<string, ParsedFile>();
  for (const file of files) {
    const parsed = readComposeFile(file, scope);
    applyInclude(parsed, scope);
    applyResets(dict, [...parsed.source.resets, ...parsed.source.overrides]);
    applyExtends(parsed, scope, extendsCache);
    dict = mergeDocuments(dict, parsed.doc);
  }
  return dict;
}

/** Read env files in order into one map; `lookup` (the caller's environment) wins in interpolation. */
export function readEnvFiles(
  files: string[],
  lookup: Lookup,
  warnings: Diagnostic[],
): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const file of files) {
    try {
      const { unset } = parseEnvFile(readTextFile(file, { what: 'env file' }), lookup, vars);
      for (const u of unset) {
        warnings.push({
          severity: 'warning',
          message: `variable ${u.variable} is not set; using an empty string`,
          location: { file, line: u.line, column: 1 },
          hint: `set ${u.variable} before it is used, or write \${${u.variable}:-default}`,
        });
      }
    } catch (e) {
      if (e instanceof EnvFileError) {
        throw new ShipshapeError(`invalid env file: ${e.message}`, {
          location: { file, line: e.line, column: 1 },
          hint: 'write VAR=value per line; quote values with spaces or # in "double" or \'single\' quotes',
        });
      }
      throw e;
    }
  }
  return vars;
}

const stringList = (v: unknown): string[] =>
  Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];

const IMPORTED = ['services', 'volumes', 'networks', 'secrets', 'configs', 'models'];

/**
 * `include` (14-include.md): each entry is loaded as its own project (own project directory and
 * `.env`, the including project's variables winning), and its resources are added to this file.
 */
function applyInclude(file: ParsedFile, scope: LoadScope): void {
  const entries = file.doc.include;
  if (!Array.isArray(entries)) return;
  entries.forEach((entry, i) => {
    const at = originOf(entries, i);
    const e: Obj = isObj(entry) ? entry : { path: entry };
    const paths = stringList(e.path).map((p) => absPath(scope.workingDir, p));
    for (const p of paths) {
      if (!existsSync(p))
        failAt(
          at,
          `included file ${p} not found`,
          'fix the path; relative paths start at the project directory',
        );
    }
    const chain = [...scope.included, file.source.file];
    if (chain.includes(paths[0]!)) {
      failAt(
        at,
        `include cycle: ${[...chain, paths[0]!].map((f) => basename(f)).join(' -> ')}`,
        'remove one of these include entries',
      );
    }
    const projectDir =
      e.project_directory === undefined
        ? dirname(paths[0]!)
        : absPath(scope.workingDir, String(e.project_directory));
    const envFiles =
      e.env_file === undefined
        ? [`${projectDir}/.env`].filter(isFile)
        : stringList(e.env_file)
            .filter((f) => f !== '/dev/null')
            .map((f) => absPath(scope.workingDir, f));
    for (const f of envFiles)
      if (!isFile(f)) failAt(at, `include env_file ${f} not found`, 'fix the path or remove env_file');
    const own = readEnvFiles(envFiles, scope.env, scope.warnings);
    const env: Lookup = (name) => scope.env(name) ?? own[name];
    const imported = loadModel(paths, { ...scope, workingDir: projectDir, env, included: chain });
    importResources(file, imported, scope.warnings, at);
  });
  delete file.doc.include;
}

const isFile = (f: string) => existsSync(f) && statSync(f).isFile();

function importResources(
  file: ParsedFile,
  imported: Obj,
  warnings: Diagnostic[],
  at: Origin | undefined,
): void {
  for (const kind of IMPORTED) {
    const from = imported[kind];
    if (!isObj(from)) continue;
    const to: Obj = isObj(file.doc[kind]) ? (file.doc[kind] as Obj) : {};
    if (!isObj(file.doc[kind])) {
      file.doc[kind] = to;
      setOrigin(file.doc, kind, at);
    }
    for (const [name, resource] of Object.entries(from)) {
      if (!(name in to)) {
        to[name] = resource;
        setOrigin(to, name, originOf(from, name));
        continue;
      }
      // The specification says only "a warning"; compose-go merges the local definition over the
      // included one. We do the same, and say so.
      warnings.push({
        severity: 'warning',
        message: `${kind.replace(/s$/, '')} "${name}" is defined here and by an included file; this definition is merged over the included one`,
        path: formatPath([kind, name]),
        location: file.source.locateKey([kind, name]),
        hint: 'rename one of them, or keep only one definition',
      });
      const base = cloneWithOrigins(resource);
      applyResets({ [kind]: { [name]: base } }, [...file.source.resets, ...file.source.overrides]);
      const local = to[name];
      to[name] = mergeAt(base, local, [kind, name]);
      setOrigin(to, name, originOf(to, name) ?? originOf(local));
    }
  }
}

/**
 * `extends` (05-services.md#extends): the referenced service (in this file or in `file`, whose
 * relative paths resolve against its own directory) is the base the extending service merges onto,
 * with the same rules as files. Cycles are errors.
 */
function applyExtends(file: ParsedFile, scope: LoadScope, cache: Map<string, ParsedFile>): void {
  const services = file.doc.services;
  if (!isObj(services)) return;
  for (const name of Object.keys(services)) resolveExtends(file, name, scope, cache, []);
}

function resolveExtends(
  file: ParsedFile,
  name: string,
  scope: LoadScope,
  cache: Map<string, ParsedFile>,
  trail: string[],
): Obj | undefined {
  const services = file.doc.services as Obj;
  const svc = services[name];
  if (!isObj(svc) || !isObj(svc.extends)) return isObj(svc) ? svc : undefined;
  const at = originOf(svc, 'extends');
  const key = `${file.source.file}#${name}`;
  if (trail.includes(key)) {
    const names = [...trail, key].map((k) => k.split('#')[1]);
    failAt(at, `extends forms a cycle: ${names.join(' -> ')}`, 'remove one of the extends references');
  }
  const ref = String(svc.extends.service);
  let baseFile = file;
  if (typeof svc.extends.file === 'string') baseFile = extendedFile(svc.extends.file, at, scope, cache);
  const baseServices = isObj(baseFile.doc.services) ? baseFile.doc.services : {};
  if (!isObj(baseServices[ref])) {
    failAt(
      at,
      `extends names unknown service "${ref}"`,
      `services in ${basename(baseFile.source.file)}: ${Object.keys(baseServices).join(', ') || 'none'}`,
    );
  }
  const base = resolveExtends(baseFile, ref, scope, cache, [...trail, key])!;
  const clone = cloneWithOrigins(base);
  // The extending file's !reset / !override apply to what it inherits, too.
  applyResets({ services: { [name]: clone } }, [...file.source.resets, ...file.source.overrides]);
  const merged = mergeAt(clone, svc, ['services', name]) as Obj;
  delete merged.extends;
  services[name] = merged;
  setOrigin(services, name, originOf(svc));
  return merged;
}

function extendedFile(
  path: string,
  at: Origin | undefined,
  scope: LoadScope,
  cache: Map<string, ParsedFile>,
): ParsedFile {
  const cached = cache.get(path);
  if (cached) return cached;
  if (!existsSync(path))
    failAt(
      at,
      `extends file ${path} not found`,
      'fix the path; relative paths start at the project directory',
    );
  const parsed = readComposeFile(path, { ...scope, workingDir: dirname(path) });
  cache.set(path, parsed);
  return parsed;
}

export type { DocPath, Variables };
