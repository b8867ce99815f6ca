import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ShipshapeError } from './errors.js';
import { appExtensionSchema, type RawAppExtension } from './extension.js';
import { loadModel, readEnvFiles } from './files.js';
import { isObj, type Obj } from './merge.js';
import { findDependencyCycle } from './graph.js';
import { decideIntent } from './intent/index.js';
import { readLock } from './image-lock.js';
import { fail, normalizeService, type NormalizeContext, type NormalizedService } from './normalize.js';
import { rememberLocator } from './locate.js';
import { locateMerged, writtenAt } from './origin.js';
import { isLiteralValue } from './raw-values.js';
import type {
  AppModel,
  Diagnostic,
  NetworkModel,
  SecretModel,
  SourceLocation,
  VolumeModel,
} from './types.js';
import { existingVpcOf } from './vpc.js';
import { parseExtension } from './zod-diagnostics.js';
import type { DocPath } from './yaml-source.js';

export interface LoadOptions {
  /** Directory to look for compose files and `.env` in. Default `process.cwd()`. */
  cwd?: string;
  /** Profiles to enable. Default: `COMPOSE_PROFILES`, else none. */
  profiles?: string[];
  /** Variables for interpolation. Default `process.env` (which wins over `.env`, as in compose). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Env file(s) for interpolation, in order (`--env-file`). Default `<project dir>/.env` when it exists. */
  envFile?: string | string[];
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
  const shell = (name: string) =>
    Object.prototype.hasOwnProperty.call(shellEnv, name) ? shellEnv[name] : undefined;
  const warnings: Diagnostic[] = [];
  const env: Record<string, string | undefined> = {
    ...projectEnvironment(cwd, projectDir, options.envFile, shell, warnings),
  };
  for (const [k, v] of Object.entries(shellEnv)) if (v !== undefined) env[k] = v;
  const lookup = (name: string) => (Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined);

  for (const p of paths) {
    if (!existsSync(p)) {
      throw new ShipshapeError('compose file not found', {
        location: { file: p, line: 0, column: 0 },
        hint: 'pass an existing file with -f, or run shipshape in the directory holding compose.yaml',
      });
    }
  }
  const merged = loadModel(paths, { workingDir: projectDir, env: lookup, warnings, included: [] });
  const locate = (path: DocPath): SourceLocation =>
    locateMerged(merged, path) ?? { file: paths[0]!, line: 1, column: 1 };
  const writtenPath = (path: DocPath): DocPath => writtenAt(merged, path)?.path ?? path;
  const configs = isObj(merged.configs) ? merged.configs : {};
  const ctx: NormalizeContext = { projectDir, env, locate, writtenPath, warnings, configs };

  const services = activeServices(ctx, merged, options.profiles);
  checkCycles(ctx, services);

  const { networks, volumes, secrets } = topLevelModels(merged);
  checkReferences(ctx, services, networks, volumes, secrets);

  const appX = parseExtension(appExtensionSchema, merged['x-shipshape'] ?? {}, ['x-shipshape'], ctx);
  const decided = decideIntent(services, {
    projectDir,
    lock: readLock(projectDir),
    secrets,
    volumes,
    catchAll: appX['catch-all'],
    locate,
    environmentOrigin: (service, variable) => {
      const path = ['services', service, 'environment', variable];
      const written = writtenAt(merged, path);
      return {
        literal:
          written !== undefined && isLiteralValue(written.source.value, written.path, variable, lookup),
        location: locate(path),
      };
    },
  });
  const name =
    appX.name ?? (typeof merged.name === 'string' ? merged.name : undefined) ?? projectName(projectDir);
  const model = deepFreeze({
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
  rememberLocator(model, locate);
  return model;
}

/**
 * The services of the active profiles (15-profiles.md), each normalized, with their `depends_on`
 * and `allow-from` checked against the services that exist and are active.
 */
function activeServices(
  ctx: NormalizeContext,
  merged: Record<string, unknown>,
  requestedProfiles: string[] | undefined,
): NormalizedService[] {
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
  const env = ctx.env;
  const profiles =
    requestedProfiles ?? (env.COMPOSE_PROFILES ? env.COMPOSE_PROFILES.split(',').map((p) => p.trim()) : []);
  // `*` enables every profile (compose-go `HasProfile`).
  const active = (s: NormalizedService) =>
    s.profiles.length === 0 || profiles.includes('*') || s.profiles.some((p) => profiles.includes(p));
  const services = allServices.filter(active);
  const activeNames = new Set(services.map((x) => x.name));
  const allNames = new Set(allServices.map((x) => x.name));
  for (const s of services) checkServiceReferences(ctx, s, allServices, allNames, activeNames);
  return services;
}

/** `depends_on` and `allow-from` name services that exist; dependencies in inactive profiles are dropped or refused. */
function checkServiceReferences(
  ctx: NormalizeContext,
  s: NormalizedService,
  allServices: NormalizedService[],
  allNames: ReadonlySet<string>,
  activeNames: ReadonlySet<string>,
): void {
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
  s.links.forEach((l, i) => {
    if (!allNames.has(l.service))
      fail(
        ctx,
        ['services', s.name, 'links', i],
        `"${s.name}" links to unknown service "${l.service}"`,
        `known services: ${[...allNames].join(', ')}`,
      );
  });
  s.links = s.links.filter((l) => activeNames.has(l.service));
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

/** Top-level `networks` (with the implicit `default`), `volumes` and `secrets`. */
function topLevelModels(merged: Record<string, unknown>): {
  networks: NetworkModel[];
  volumes: VolumeModel[];
  secrets: SecretModel[];
} {
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
    driverOpts: isObj(raw.driver_opts)
      ? Object.fromEntries(Object.entries(raw.driver_opts).map(([k, v]) => [k, String(v)]))
      : {},
  }));
  const secrets = topLevel(merged.secrets, (name, raw): SecretModel => ({
    name,
    file: raw.file === undefined ? undefined : String(raw.file), // made absolute per file (canonical.ts)
    environment: raw.environment === undefined ? undefined : String(raw.environment),
    external: raw.external === true,
  }));
  return { networks, volumes, secrets };
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
  // The environment's block when written, else x-shipshape (else the first file).
  const location = locate(env ? ['x-shipshape', 'environments', environment] : ['x-shipshape']);
  const vpc = existingVpcOf(appX, environment, locate);
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
      ...(vpc ? { vpc } : {}),
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

/**
 * The project's variables: the shell environment, plus `.env` (or the `--env-file`s) for what the
 * shell does not set. Env files are read with compose's format and may use `${VAR}`.
 */
function projectEnvironment(
  cwd: string,
  projectDir: string,
  envFile: string | string[] | undefined,
  shell: (name: string) => string | undefined,
  warnings: Diagnostic[],
): Record<string, string> {
  const given = envFile === undefined ? [] : Array.isArray(envFile) ? envFile : [envFile];
  const files = given.map((f) => resolve(cwd, f));
  given.forEach((f, i) => {
    if (!existsSync(files[i]!)) {
      throw new ShipshapeError(`env file ${f} not found`, { hint: `looked for ${files[i]}` });
    }
  });
  if (given.length === 0 && existsSync(resolve(projectDir, '.env'))) files.push(resolve(projectDir, '.env'));
  return readEnvFiles(files, shell, warnings);
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
