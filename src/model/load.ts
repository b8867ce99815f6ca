import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { ShipshapeError } from './errors.js';
import { appExtensionSchema, type RawAppExtension } from './extension.js';
import { InterpolationError, interpolateDocument } from './interpolate.js';
import { isObj, mergeCompose, type Obj } from './merge.js';
import { fail, normalizeService, type NormalizeContext, type NormalizedService } from './normalize.js';
import { validateCompose } from './schema.js';
import { findDependencyCycle } from './graph.js';
import { decideIntent } from './intent/index.js';
import { isLiteralEnvironmentValue } from './raw-values.js';
import type {
  AppModel,
  Diagnostic,
  NetworkModel,
  SecretModel,
  SourceLocation,
  VolumeModel,
} from './types.js';
import { parseExtension } from './zod-diagnostics.js';
import { formatPath, readYamlFile, type DocPath, type YamlSource } from './yaml-source.js';

export interface LoadOptions {
  /** Directory to look for compose files and `.env` in. Default `process.cwd()`. */
  cwd?: string;
  /** Profiles to enable. Default: `COMPOSE_PROFILES`, else none. */
  profiles?: string[];
  /** Variables for interpolation. Default `process.env` (which wins over `.env`, as in compose). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Path of the env file. Default `<project dir>/.env` when it exists. */
  envFile?: string;
  /** Deployment environment (`--env`). Default `x-shipshape.environment`, else `dev`. */
  environment?: string;
}

export const DEFAULT_COMPOSE_FILES = [
  'compose.yaml',
  'compose.yml',
  'docker-compose.yaml',
  'docker-compose.yml',
];
const OVERRIDE_FILES = [
  'compose.override.yaml',
  'compose.override.yml',
  'docker-compose.override.yaml',
  'docker-compose.override.yml',
];

/** Whether `cwd` holds a compose file `loadApp` would read by default. */
export function hasComposeFile(cwd: string): boolean {
  return DEFAULT_COMPOSE_FILES.some((f) => existsSync(resolve(cwd, f)));
}

/** The files `loadApp` reads when none are given: the first default file, plus its override. */
export function findComposeFiles(cwd: string): string[] {
  const main = DEFAULT_COMPOSE_FILES.map((f) => resolve(cwd, f)).find(existsSync);
  if (!main) {
    throw new ShipshapeError(`no compose file in ${cwd}`, {
      hint: `create compose.yaml there, or pass one with -f (looked for ${DEFAULT_COMPOSE_FILES.join(', ')})`,
    });
  }
  const override = OVERRIDE_FILES.map((f) => resolve(cwd, f)).find(existsSync);
  return override ? [main, override] : [main];
}

interface LoadedFile {
  source: YamlSource;
  value: Obj;
}

/** Read, interpolate and schema-check one file. */
function loadFile(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
  warnings: Diagnostic[],
): LoadedFile {
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
  let value: Obj;
  try {
    const result = interpolateDocument(source.value, env);
    value = result.value as Obj;
    const seen = new Set<string>();
    for (const u of result.unset) {
      if (seen.has(u.variable)) continue;
      seen.add(u.variable);
      warnings.push({
        severity: 'warning',
        message: `variable ${u.variable} is not set; using an empty string`,
        path: formatPath(u.path),
        location: source.locate(u.path),
        hint: `set ${u.variable} in the environment or in .env, or write \${${u.variable}:-default}`,
      });
    }
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
  const { unknownKeys, problems } = validateCompose(value);
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
  return { source, value };
}

/** Make every relative path of a service absolute against `dir`, so it survives merging across files. */
function absolutizeService(svc: Obj, dir: string): Obj {
  const out: Obj = { ...svc };
  if (typeof out.build === 'string') out.build = { context: resolve(dir, out.build) };
  else if (
    isObj(out.build) &&
    typeof out.build.context === 'string' &&
    !/^[a-z]+:\/\//.test(out.build.context)
  ) {
    out.build = { ...out.build, context: resolve(dir, out.build.context) };
  } else if (isObj(out.build) && out.build.context === undefined) out.build = { ...out.build, context: dir };
  const absEnvFile = (f: unknown) =>
    isObj(f) ? { ...f, path: resolve(dir, String(f.path)) } : resolve(dir, String(f));
  if (Array.isArray(out.env_file)) out.env_file = out.env_file.map(absEnvFile);
  else if (out.env_file !== undefined) out.env_file = absEnvFile(out.env_file);
  return out;
}

/** Resolve `extends` for every service of one file (recursively, across files). */
function resolveExtends(
  loaded: LoadedFile,
  env: Readonly<Record<string, string | undefined>>,
  warnings: Diagnostic[],
  cache: Map<string, LoadedFile>,
): void {
  const services = isObj(loaded.value.services) ? loaded.value.services : {};
  const resolving = new Set<string>();
  const resolveOne = (file: LoadedFile, name: string, trail: string[]): Obj => {
    const svcs = isObj(file.value.services) ? file.value.services : {};
    const raw = svcs[name];
    const key = `${file.source.file}#${name}`;
    if (!isObj(raw)) return {};
    const local = absolutizeService(raw, dirname(file.source.file));
    if (raw.extends === undefined) return local;
    if (resolving.has(key)) {
      throw new ShipshapeError(`extends forms a cycle: ${[...trail, name].join(' -> ')}`, {
        location: file.source.locate(['services', name, 'extends']),
        path: formatPath(['services', name, 'extends']),
        hint: 'remove one of the extends references',
      });
    }
    resolving.add(key);
    const ext = typeof raw.extends === 'string' ? { service: raw.extends } : (raw.extends as Obj);
    let baseFile = file;
    if (typeof ext.file === 'string') {
      const path = resolve(dirname(file.source.file), ext.file);
      if (!existsSync(path)) {
        throw new ShipshapeError(`extends file ${ext.file} not found`, {
          location: file.source.locate(['services', name, 'extends', 'file']),
          path: formatPath(['services', name, 'extends', 'file']),
          hint: `looked for ${path}`,
        });
      }
      baseFile = cache.get(path) ?? loadFile(path, env, warnings);
      cache.set(path, baseFile);
    }
    const baseName = String(ext.service);
    const baseServices = isObj(baseFile.value.services) ? baseFile.value.services : {};
    if (!isObj(baseServices[baseName])) {
      throw new ShipshapeError(`extends names unknown service "${baseName}"`, {
        location: file.source.locate(['services', name, 'extends']),
        path: formatPath(['services', name, 'extends']),
        hint: `services in ${basename(baseFile.source.file)}: ${Object.keys(baseServices).join(', ') || 'none'}`,
      });
    }
    const base = resolveOne(baseFile, baseName, [...trail, name]);
    resolving.delete(key);
    // depends_on is not inherited through extends (Compose Specification).
    const { depends_on: _dropped, ...inheritable } = base;
    const { extends: _ext, ...rest } = local;
    return mergeCompose(inheritable, rest) as Obj;
  };
  for (const name of Object.keys(services)) services[name] = resolveOne(loaded, name, []);
}

function hasPath(doc: unknown, path: DocPath): boolean {
  let cur = doc;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !(seg in (cur as object))) return false;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return true;
}

/**
 * Load compose files into the app model.
 *
 * @param files compose files in merge order; default: compose.yaml (or docker-compose.yml) in `cwd`
 *   plus its override file.
 * @throws ShipshapeError (exit code 2) for any problem in the user's input, located in its file.
 */
export function loadApp(files: string[] = [], options: LoadOptions = {}): AppModel {
  const cwd = resolve(options.cwd ?? process.cwd());
  const paths = files.length > 0 ? files.map((f) => resolve(cwd, f)) : findComposeFiles(cwd);
  const projectDir = dirname(paths[0]!);
  const shellEnv = options.env ?? process.env;
  const envFile = options.envFile ? resolve(cwd, options.envFile) : resolve(projectDir, '.env');
  if (options.envFile && !existsSync(envFile)) {
    throw new ShipshapeError(`env file ${options.envFile} not found`, { hint: `looked for ${envFile}` });
  }
  const dotenv = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  const env: Record<string, string | undefined> = { ...dotenv, ...shellEnv };

  const warnings: Diagnostic[] = [];
  const cache = new Map<string, LoadedFile>();
  const loaded = paths.map((p) => {
    const file = loadFile(p, env, warnings);
    cache.set(p, file);
    resolveExtends(file, env, warnings, cache);
    return file;
  });
  let merged: Obj = {};
  for (const f of loaded) merged = mergeCompose(merged, f.value) as Obj;

  const locate = (path: DocPath): SourceLocation => {
    for (let i = loaded.length - 1; i >= 0; i--)
      if (hasPath(loaded[i]!.source.value, path)) return loaded[i]!.source.locate(path);
    // Not written literally anywhere (e.g. inherited through extends): point at the deepest ancestor.
    for (let n = path.length - 1; n >= 0; n--) {
      for (let i = loaded.length - 1; i >= 0; i--) {
        if (hasPath(loaded[i]!.source.value, path.slice(0, n)))
          return loaded[i]!.source.locate(path.slice(0, n));
      }
    }
    return { file: paths[0]!, line: 1, column: 1 };
  };
  const ctx: NormalizeContext = { projectDir, env, locate, warnings };

  const rawServices = isObj(merged.services) ? merged.services : {};
  if (Object.keys(rawServices).length === 0) {
    fail(ctx, ['services'], 'the app defines no services', 'add at least one service under `services:`');
  }
  const allServices: NormalizedService[] = Object.entries(rawServices).map(([name, raw]) => {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
      fail(
        ctx,
        ['services', name],
        `invalid service name "${name}"`,
        'use letters, digits, "_", "." and "-", starting with a letter or digit',
      );
    }
    return normalizeService(ctx, name, isObj(raw) ? raw : {});
  });

  const profiles =
    options.profiles ?? (env.COMPOSE_PROFILES ? env.COMPOSE_PROFILES.split(',').map((s) => s.trim()) : []);
  const active = (s: NormalizedService) =>
    s.profiles.length === 0 || s.profiles.some((p) => profiles.includes(p) || p === '*');
  const services = allServices.filter(active);
  const activeNames = new Set(services.map((s) => s.name));
  const allNames = new Set(allServices.map((s) => s.name));

  for (const s of services) {
    for (const dep of s.dependsOn) {
      const path = ['services', s.name, 'depends_on', dep.service];
      if (!allNames.has(dep.service)) {
        fail(
          ctx,
          path,
          `"${s.name}" depends on unknown service "${dep.service}"`,
          `known services: ${[...allNames].join(', ')}`,
        );
      }
      if (!activeNames.has(dep.service) && dep.required) {
        const svc = allServices.find((x) => x.name === dep.service)!;
        fail(
          ctx,
          path,
          `"${s.name}" depends on "${dep.service}", which is only in profile ${svc.profiles.join(', ')}`,
          `enable it with --profile ${svc.profiles[0]}`,
        );
      }
    }
    s.x.allowFrom.forEach((from, i) => {
      if (!allNames.has(from)) {
        fail(
          ctx,
          ['services', s.name, 'x-shipshape', 'allow-from', i],
          `allow-from names unknown service "${from}"`,
          `known services: ${[...allNames].join(', ')}`,
        );
      }
    });
    s.dependsOn = s.dependsOn.filter((d) => activeNames.has(d.service));
  }
  checkCycles(ctx, services);

  const networks = topLevel(merged.networks, (name, raw): NetworkModel => ({
    name,
    external: raw.external === true,
    internal: raw.internal === true,
    driver: raw.driver === undefined ? undefined : String(raw.driver),
  }));
  if (!networks.some((n) => n.name === 'default'))
    networks.unshift({ name: 'default', external: false, internal: false });
  const volumes = topLevel(merged.volumes, (name, raw): VolumeModel => ({
    name,
    external: raw.external === true,
    driver: raw.driver === undefined ? undefined : String(raw.driver),
  }));
  const secrets = topLevel(merged.secrets, (name, raw): SecretModel => ({
    name,
    file: raw.file === undefined ? undefined : resolve(projectDir, String(raw.file)),
    environment: raw.environment === undefined ? undefined : String(raw.environment),
    external: raw.external === true,
  }));
  checkReferences(ctx, services, networks, volumes, secrets);

  const appX = parseExtension(appExtensionSchema, merged['x-shipshape'] ?? {}, ['x-shipshape'], ctx);
  // Top-level files in merge order first, then files reached only through extends.
  const rawDocs = [...loaded, ...[...cache.values()].filter((f) => !loaded.includes(f))].map((f) => ({
    file: f.source.file,
    value: f.source.value,
  }));
  const decided = decideIntent(services, {
    projectDir,
    secrets,
    catchAll: appX['catch-all'],
    locate,
    environmentOrigin: (service, variable) => ({
      literal: isLiteralEnvironmentValue(rawDocs, service, variable, loaded.length),
      location: locate(['services', service, 'environment', variable]),
    }),
  });
  const name =
    appX.name ?? (typeof merged.name === 'string' ? merged.name : undefined) ?? projectName(projectDir);
  return deepFreeze({
    name,
    projectDir,
    files: paths,
    services: decided.services,
    networks,
    volumes,
    secrets,
    x: resolveEnvironment(appX, options.environment, locate, shellEnv),
    traffic: decided.traffic,
    intent: decided.intent,
    warnings: [...warnings, ...decided.warnings],
  });
}

/**
 * The app extension for one environment: `x-shipshape.aws` with `environments.<env>.aws` laid
 * over it. An environment need not be declared (`--env staging` works with the top-level settings).
 */
function resolveEnvironment(
  appX: RawAppExtension,
  selected: string | undefined,
  locate: (path: DocPath) => SourceLocation,
  shellEnv: Readonly<Record<string, string | undefined>>,
): AppModel['x'] {
  const environment = selected ?? appX.environment;
  if (!/^[A-Za-z0-9-]+$/.test(environment)) {
    throw new ShipshapeError(`environment name "${environment}" is not valid`, {
      hint: 'use letters, digits and "-" (it becomes part of the stack names)',
    });
  }
  const env = appX.environments[environment];
  const aws = { ...appX.aws, ...env?.aws };
  // The environment's block when written, else the deepest ancestor that is (x-shipshape, the file).
  const location = locate(['x-shipshape', 'environments', environment]);
  return {
    tags: appX.tags,
    environment,
    ...(env?.profile ? { profile: env.profile } : {}),
    environments: Object.keys(appX.environments),
    aws: {
      // Written in x-shipshape, else the standard AWS variables, else us-east-1.
      region: aws.region ?? shellEnv.AWS_REGION ?? shellEnv.AWS_DEFAULT_REGION ?? 'us-east-1',
      account: aws.account,
      nat: aws.nat,
      certificateArn: aws['certificate-arn'],
      domain: aws.domain,
      hostedZone: aws['hosted-zone'],
      cloudMapNamespace: aws['cloud-map-namespace'],
      logRetentionDays: aws['log-retention-days'] ?? 30,
    },
    acknowledge: appX.acknowledge,
    ...(appX['catch-all'] !== undefined ? { catchAll: appX['catch-all'] } : {}),
    location,
  };
}

/** The model is built once and read by every command; freezing it keeps anyone from editing it. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Compose's project-name rule: lowercase, only [a-z0-9_-]. */
function projectName(dir: string): string {
  return (
    basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '') || 'app'
  );
}

function topLevel<T>(v: unknown, make: (name: string, raw: Obj) => T): T[] {
  if (!isObj(v)) return [];
  return Object.entries(v).map(([name, raw]) => make(name, isObj(raw) ? raw : {}));
}

function checkCycles(ctx: NormalizeContext, services: NormalizedService[]): void {
  const cycle = findDependencyCycle(services);
  if (!cycle) return;
  fail(
    ctx,
    ['services', cycle[cycle.length - 2]!, 'depends_on', cycle[cycle.length - 1]!],
    `dependency cycle: ${cycle.join(' -> ')}`,
    'remove one of these depends_on entries; use x-shipshape.allow-from for a call that is not a start-up dependency',
  );
}

function checkReferences(
  ctx: NormalizeContext,
  services: NormalizedService[],
  networks: NetworkModel[],
  volumes: VolumeModel[],
  secrets: SecretModel[],
): void {
  const netNames = new Set(networks.map((n) => n.name));
  const volNames = new Set(volumes.map((v) => v.name));
  const secretNames = new Set(secrets.map((s) => s.name));
  for (const s of services) {
    for (const n of s.networks) {
      if (!netNames.has(n))
        fail(
          ctx,
          ['services', s.name, 'networks'],
          `service "${s.name}" uses undefined network "${n}"`,
          `declare it under the top-level \`networks:\` key`,
        );
    }
    s.volumes.forEach((v, i) => {
      if (v.type === 'volume' && v.source && !volNames.has(v.source)) {
        fail(
          ctx,
          ['services', s.name, 'volumes', i],
          `service "${s.name}" uses undefined volume "${v.source}"`,
          'declare it under the top-level `volumes:` key, or write a path starting with ./ for a bind mount',
        );
      }
    });
    s.secrets.forEach((sec, i) => {
      if (!secretNames.has(sec.source)) {
        fail(
          ctx,
          ['services', s.name, 'secrets', i],
          `service "${s.name}" uses undefined secret "${sec.source}"`,
          'declare it under the top-level `secrets:` key',
        );
      }
    });
  }
  secrets.forEach((sec) => {
    if (sec.file && !sec.external && !existsSync(sec.file)) {
      fail(
        ctx,
        ['secrets', sec.name, 'file'],
        `secret file ${sec.file} not found`,
        'create the file or fix the path',
      );
    }
  });
}
