import { SHIPSHAPE_VERSION } from '../support/version.js';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LABELS, engine, requireEngine } from '../engine/client.js';
import { environmentList, serviceHardening } from '../engine/container-spec.js';
import { tagImage } from '../engine/images.js';
import { serviceImageName, slimImageName } from '../model/image-ref.js';
import { RunScope } from '../engine/run-scope.js';
import { ShipshapeError } from '../model/errors.js';
import type { AppModel, ServiceModel } from '../model/types.js';
import { onCleanup } from '../support/cleanup.js';
import { filterExport, importSlimImage, type FilterStats, type SlimConfig } from './assemble.js';
import { serviceImage, startDependencies } from './deps.js';
import { exercise, type ExerciseResult, type ExerciseSpec } from './exercise.js';
import { SlimVerificationError, describeFailures, writeFailureFolder } from './failure.js';
import { indexExport, type ImageIndex } from '../images/image-fs.js';
import { missedPaths } from './missed.js';
import { computeKeepSet, type KeepSet } from './keep.js';
import { PACKAGE_MANAGERS, SHELLS, findNamed, findSetuid } from '../images/contents.js';
import { parseProbe, type ProbeResult } from './probes.js';
import { parseTrace } from './trace.js';
import { TRACE_FILE, buildTracerBundle, type TracerBundle } from './tracer.js';
import { resolveRuntimeUser, type RuntimeUser } from './user.js';
import { analyzeEntrypoint, type WrapperVerdict } from './wrapper.js';

export { SlimVerificationError };

/**
 * `shipshape slim`: trace the app while probes and tests exercise it, keep only what it touched
 * (plus the ELF closure), assemble a one-layer FROM-scratch image, and tag it only after the same
 * probes and tests pass against it.
 */

/** Label carrying the per-run id, so cleanup removes only this run's objects. */
export const SLIM_RUN_LABEL = 'io.shipshape.slim-run';
/** `app/service` being slimmed, for people inspecting a run's containers. */
export const SLIM_APP_LABEL = 'io.shipshape.slim-target';

export type SlimTarget =
  { kind: 'service'; app: AppModel; service: ServiceModel } | { kind: 'image'; ref: string };

export interface SlimOptions {
  target: SlimTarget;
  /** HTTP probe paths (`http:/x` or `/x`). Default: `x-shipshape.slim.probes`, else the service's health path, else `/`. */
  probes?: string[];
  /** Test command run on the host against the running app. Default `x-shipshape.slim.test`, else none. */
  test?: string;
  /** Extra globs to keep. Default `x-shipshape.slim.include`. */
  include?: string[];
  /** Globs to drop. Default `x-shipshape.slim.exclude`. */
  exclude?: string[];
  /**
   * Container ports to probe. Default: the ports compose publishes or declares (`ports:`,
   * `expose:`), else those of the image's EXPOSEd ports something listens on.
   */
  ports?: number[];
  /** `UID:GID` to run as. Default: the image's non-root user, or 65532:65532 for root. */
  user?: string;
  /** Tag for the slim image. Default `<image-repo>:<tag>-slim` (`<app>-<service>:slim` for services). */
  tag?: string;
  /** Where failure folders go. Default `<project>/.shipshape/slim` (cwd for images). */
  reportDir?: string;
  /** How long the app may take to answer its first probe. Default 60 s. */
  startupTimeoutMs?: number;
  /** Progress lines (stderr in the CLI). Default ignored. */
  onProgress?: (line: string) => void;
  docker?: Docker;
}

export interface KeptShell {
  path: string;
  reason: string;
}

export interface SlimReport {
  source: string;
  sourceImageId: string;
  tag: string;
  imageId: string;
  user: string;
  userOrigin: RuntimeUser['origin'];
  originalBytes: number;
  slimBytes: number;
  /** originalBytes / slimBytes. */
  ratio: number;
  /** Bytes of the files the traced run touched plus their ELF closure. */
  floorBytes: number;
  filesKept: number;
  filesRemoved: number;
  shellsRemoved: string[];
  shellsKept: KeptShell[];
  packageManagersRemoved: string[];
  packageManagersKept: KeptShell[];
  setuidRemoved: string[];
  capabilitiesStripped: string[];
  unresolvedLibraries: string[];
  /** What happened to an entrypoint script: dropped as a proven pass-through, or kept and why. */
  entrypointScript?: { path: string; elided: boolean; reason: string };
  probes: ProbeResult[];
  durationMs: number;
}

const FILE_TYPES = new Set(['file', 'symlink', 'link']);

export async function slim(options: SlimOptions): Promise<SlimReport> {
  const started = Date.now();
  const docker = await requireEngine(options.docker ?? engine());
  const run = openRun(docker, options);
  try {
    const source = await inspectSource(run, options);
    run.progress(`indexing ${source.ref}`);
    // The dependencies start while the filesystem is indexed: neither needs the other.
    const [index, network] = await Promise.all([indexSource(run, source), startEnvironment(run, source)]);
    const user = resolveRuntimeUser(
      source.config.User,
      options.user,
      index.texts.get('/etc/passwd'),
      index.texts.get('/etc/group'),
    );
    run.progress(`runtime user ${user.spec} (${user.origin})`);
    const base = exerciseBase(run, source, user, network, options);
    const original = await traceOriginal(run, source, base);
    // The slim image must answer on exactly the ports the original answered on.
    const checked = { ...base, ports: original.ports, discoverPorts: false };
    const kept = decideKeepSet(run, source, index, original.trace, checked, options);
    const slimmed = await assemble(run, source, index, kept, user);
    const verified = await verify(run, source, index, checked, original, kept, slimmed);
    await tagImage(docker, slimmed.id, source.tag);
    run.uncommittedImage = undefined;
    return await report(run, source, index, user, kept, { ...slimmed, probes: verified.probes }, started);
  } catch (e) {
    throw run.scope.failure(e);
  } finally {
    run.unregister();
    await run.cleanup();
  }
}

/** One slim run: its engine objects (by label), temp directory, and image not yet tagged. */
interface SlimRun {
  docker: Docker;
  scope: RunScope;
  labels: Record<string, string>;
  /** Container and network names start with this. */
  prefix: string;
  temp: string;
  uncommittedImage?: string;
  progress: (line: string) => void;
  unregister: () => void;
  /** Remove everything the run made; registered for Ctrl-C, and run at the end in any case. */
  cleanup: () => Promise<void>;
}

function openRun(docker: Docker, options: SlimOptions): SlimRun {
  const scope = new RunScope(docker, SLIM_RUN_LABEL);
  const target = options.target;
  const run: SlimRun = {
    docker,
    scope,
    labels: {
      [LABELS.managed]: 'true',
      [LABELS.role]: 'slim',
      ...scope.labels,
      // Deliberately not LABELS.app/LABELS.service: these throwaway containers are not part of the
      // running app, and `down`/`ps` for the app must neither list nor remove them mid-run.
      ...(target.kind === 'service' ? { [SLIM_APP_LABEL]: `${target.app.name}/${target.service.name}` } : {}),
    },
    prefix: `shipshape-slim-${scope.id}`,
    temp: mkdtempSync(join(tmpdir(), 'shipshape-slim-')),
    progress: options.onProgress ?? (() => undefined),
    unregister: () => undefined,
    cleanup: async () => {
      await scope.undo({ volumes: true }).catch(() => undefined);
      if (run.uncommittedImage) {
        await docker
          .getImage(run.uncommittedImage)
          .remove({ force: true })
          .catch(() => undefined);
      }
      rmSync(run.temp, { recursive: true, force: true });
    },
  };
  run.unregister = onCleanup(`shipshape slim ${scope.id}`, run.cleanup);
  return run;
}

/** The original image and what the run needs to know about it. */
interface Source {
  /** As named: the service's image (or name), or the image reference. */
  ref: string;
  imageId: string;
  image: Docker.ImageInspectInfo;
  config: Docker.ImageInspectInfo['Config'];
  app?: AppModel;
  service?: ServiceModel;
  /** The program argv, compose's overrides applied. */
  argv: string[];
  /** Tag for the slim image. */
  tag: string;
  /** Where failure folders go. */
  reportBase: string;
  projectDir: string;
}

async function inspectSource(run: SlimRun, options: SlimOptions): Promise<Source> {
  const target = options.target;
  const service = target.kind === 'service' ? target.service : undefined;
  const app = target.kind === 'service' ? target.app : undefined;
  const imageId =
    target.kind === 'image'
      ? await inspectImageId(run.docker, target.ref)
      : await serviceImage(run.docker, target.app, target.service, run.progress);
  const image = await run.docker.getImage(imageId).inspect();
  const projectDir = app?.projectDir ?? process.cwd();
  return {
    ref: target.kind === 'image' ? target.ref : serviceImageName(target.app.name, target.service),
    imageId,
    image,
    config: image.Config,
    app,
    service,
    argv: effectiveArgv(image.Config.Entrypoint, image.Config.Cmd, service),
    tag: options.tag ?? defaultTag(target),
    reportBase: options.reportDir ?? join(projectDir, '.shipshape', 'slim'),
    projectDir,
  };
}

/**
 * Index the original filesystem in one streamed pass over a created, never-started container,
 * which stays for the second pass (`assemble`).
 */
async function indexSource(run: SlimRun, source: Source): Promise<ImageIndex> {
  const container = await run.scope.create(() =>
    run.docker.createContainer({
      Image: source.imageId,
      Labels: run.labels,
      name: `${run.prefix}-source`,
      Entrypoint: ['/'],
      Cmd: [],
    }),
  );
  return indexExport((await container.export()) as unknown as Readable);
}

/** The original's export, streamed again from the never-started source container. */
async function exportSource(run: SlimRun): Promise<Readable> {
  return (await run.docker.getContainer(`${run.prefix}-source`).export()) as unknown as Readable;
}

type ExerciseBase = Omit<ExerciseSpec, 'image' | 'name' | 'argv'>;

/** The run's private network, with the service's dependencies on it; its id. */
async function startEnvironment(run: SlimRun, source: Source): Promise<string> {
  const network = await run.scope.create(() =>
    run.docker.createNetwork({ Name: `${run.prefix}-net`, Labels: run.labels, CheckDuplicate: true }),
  );
  const { app, service } = source;
  if (app && service) {
    await startDependencies(run.docker, app, service, {
      scope: run.scope,
      network: network.id,
      labels: run.labels,
      namePrefix: run.prefix,
      onProgress: run.progress,
    });
  }
  return network.id;
}

/** What the traced, verified and diagnostic runs share. */
function exerciseBase(
  run: SlimRun,
  source: Source,
  user: RuntimeUser,
  network: string,
  options: SlimOptions,
): ExerciseBase {
  const { service } = source;
  const x = service?.x.slim;
  const probes = options.probes?.length
    ? options.probes
    : x?.probes?.length
      ? x.probes
      : [service?.x.healthPath ?? '/'];
  return {
    docker: run.docker,
    scope: run.scope,
    env: environmentList(service),
    user: user.spec,
    ...probePorts(source.config.ExposedPorts, service, options.ports),
    paths: probes.map(parseProbe),
    test: options.test ?? x?.test,
    testCwd: source.projectDir,
    hardening: serviceHardening(service),
    network,
    aliases: service ? [service.name] : [],
    labels: run.labels,
    startupTimeoutMs: options.startupTimeoutMs ?? 60_000,
    onProgress: (l) => run.progress(`  ${l}`),
  };
}

/** A host directory the (non-root) traced program can write its trace into. */
function traceDirectory(run: SlimRun, name: string): string {
  const dir = join(run.temp, name);
  mkdirSync(dir);
  // The traced program runs as the (non-root) runtime user and must write its trace here; the
  // directory sits inside this run's 0700 temp dir, so no other host user can reach it.
  chmodSync(dir, 0o777);
  return dir;
}

function readTrace(dir: string): string {
  return existsSync(join(dir, TRACE_FILE)) ? readFileSync(join(dir, TRACE_FILE), 'utf8') : '';
}

interface OriginalRun {
  /** The ports probed (an image's EXPOSEd ports that something listened on). */
  ports: number[];
  bundle: TracerBundle;
  traceText: string;
  trace: ReturnType<typeof parseTrace>;
}

/** Run the original under the tracer while the probes and test exercise it; it must pass. */
async function traceOriginal(run: SlimRun, source: Source, base: ExerciseBase): Promise<OriginalRun> {
  run.progress('building the tracer bundle');
  const bundleDir = join(run.temp, 'tracer');
  mkdirSync(bundleDir);
  const bundle = buildTracerBundle(bundleDir);
  const traceDir = traceDirectory(run, 'trace');
  run.progress(`tracing ${source.ref} while probing it`);
  const traced = await exercise({
    ...base,
    image: source.imageId,
    name: `${run.prefix}-traced`,
    argv: source.argv,
    tracer: { bundle, traceDir },
  });
  const traceText = readTrace(traceDir);
  if (!traced.ok) {
    const folder = writeFailureFolder(source.reportBase, failureName(source), {
      phase: 'original',
      result: traced,
      trace: traceText,
    });
    throw new SlimVerificationError(
      `the original image ${source.ref} fails its probes while traced (as user ${base.user}); nothing was slimmed` +
        `\n${describeFailures(traced.probes)}`,
      folder,
      traced.probes,
    );
  }
  return {
    ports: traced.ports,
    bundle,
    traceText,
    trace: parseTrace(traceText, source.config.WorkingDir || '/'),
  };
}

interface KeptFiles {
  wrapper: WrapperVerdict;
  keep: KeepSet;
}

/** The entrypoint wrapper verdict, then every path to keep. */
function decideKeepSet(
  run: SlimRun,
  source: Source,
  index: ImageIndex,
  trace: OriginalRun['trace'],
  base: ExerciseBase,
  options: SlimOptions,
): KeptFiles {
  const cfg = source.config;
  const entrypointLength = source.service?.entrypoint ? 0 : toList(cfg.Entrypoint).length;
  const wrapper = analyzeEntrypoint(trace, source.argv, entrypointLength, index);
  if (wrapper.script) run.progress(wrapper.reason);
  const x = source.service?.x.slim;
  const keep = computeKeepSet(index, wrapper.trace ?? trace, {
    env: [...(cfg.Env ?? []), ...base.env],
    workingDir: cfg.WorkingDir || undefined,
    volumes: Object.keys(cfg.Volumes ?? {}),
    include: options.include ?? x?.include ?? [],
    exclude: options.exclude ?? x?.exclude ?? [],
  });
  run.progress(`keeping ${keep.paths.size} of ${index.entries.size} paths`);
  return { wrapper, keep };
}

interface SlimImage {
  id: string;
  config: SlimConfig;
  filesKept: number;
  stats: FilterStats;
}

/** The kept files, streamed from the original's export straight into a one-layer image. */
async function assemble(
  run: SlimRun,
  source: Source,
  index: ImageIndex,
  kept: KeptFiles,
  user: RuntimeUser,
): Promise<SlimImage> {
  const cfg = source.config;
  const filesKept = [...kept.keep.paths.keys()].filter((p) =>
    FILE_TYPES.has(index.get(p)?.type ?? ''),
  ).length;
  const config: SlimConfig = {
    entrypoint: kept.wrapper.elided ? null : toList(cfg.Entrypoint),
    cmd: cfg.Cmd,
    env: cfg.Env ?? [],
    workingDir: cfg.WorkingDir || undefined,
    exposedPorts: Object.keys(cfg.ExposedPorts ?? {}),
    labels: {
      ...(cfg.Labels ?? {}),
      'io.shipshape.slim.source': source.ref,
      'io.shipshape.slim.source-digest': source.image.RepoDigests?.[0] ?? source.image.Id,
      'io.shipshape.slim.version': SHIPSHAPE_VERSION,
      'io.shipshape.slim.files-kept': String(filesKept),
    },
    stopSignal: (cfg as { StopSignal?: string }).StopSignal || undefined,
    volumes: Object.keys(cfg.Volumes ?? {}),
    user: user.spec,
  };
  run.progress('assembling the slim image');
  const filtered = filterExport(await exportSource(run), new Set(kept.keep.paths.keys()), user);
  const [id, stats] = await Promise.all([importSlimImage(run.docker, filtered.tar, config), filtered.done]);
  run.uncommittedImage = id;
  return { id, config, filesKept, stats };
}

/** The slim image under the same probes and test; on failure, trace it to say what it missed. */
async function verify(
  run: SlimRun,
  source: Source,
  index: ImageIndex,
  base: ExerciseBase,
  original: OriginalRun,
  kept: KeptFiles,
  slimmed: SlimImage,
): Promise<ExerciseResult> {
  run.progress('verifying the slim image');
  const argv = effectiveArgv(slimmed.config.entrypoint, source.config.Cmd, source.service);
  const spec = { ...base, image: slimmed.id, argv };
  const verified = await exercise({ ...spec, name: `${run.prefix}-verify` });
  if (verified.ok) return verified;
  run.progress('verification failed; tracing the slim image to find what it missed');
  const diagDir = traceDirectory(run, 'trace-slim');
  const diag = await exercise({
    ...spec,
    name: `${run.prefix}-diag`,
    tracer: { bundle: original.bundle, traceDir: diagDir },
  }).catch(() => undefined);
  const missed = missedPaths(
    parseTrace(readTrace(diagDir), source.config.WorkingDir || '/'),
    index,
    new Set(kept.keep.paths.keys()),
    `${verified.logs}\n${diag?.logs ?? ''}`,
  );
  throw verificationFailed(source, verified, original, kept, missed, diag);
}

function verificationFailed(
  source: Source,
  verified: ExerciseResult,
  original: OriginalRun,
  kept: KeptFiles,
  missed: string[],
  diag: ExerciseResult | undefined,
): SlimVerificationError {
  const folder = writeFailureFolder(source.reportBase, failureName(source), {
    phase: 'slim',
    result: verified,
    trace: original.traceText,
    keep: kept.keep.paths,
    missed,
    diagnosticLogs: diag?.logs,
  });
  return new SlimVerificationError(
    `the slim image failed verification; no image was tagged\n${describeFailures(verified.probes)}` +
      (missed.length
        ? `\nmissing in the slim image but present in the original: ${missed.slice(0, 10).join(', ')}`
        : ''),
    folder,
    verified.probes,
  );
}

function failureName(source: Source): string {
  return source.service?.name ?? sanitize(source.ref);
}

async function report(
  run: SlimRun,
  source: Source,
  index: ImageIndex,
  user: RuntimeUser,
  kept: KeptFiles,
  slimmed: SlimImage & { probes: ProbeResult[] },
  started: number,
): Promise<SlimReport> {
  const slimImage = await run.docker.getImage(slimmed.id).inspect();
  const keptSet = new Set(kept.keep.paths.keys());
  const shellsAll = findNamed(index, SHELLS);
  const pmAll = findNamed(index, PACKAGE_MANAGERS);
  const keptWhy = (p: string): KeptShell => ({ path: p, reason: kept.keep.paths.get(p) ?? '' });
  const originalFiles = [...index.entries.values()].filter((e) => FILE_TYPES.has(e.type)).length;
  const wrapper = kept.wrapper;
  return {
    source: source.ref,
    sourceImageId: source.image.Id,
    tag: source.tag,
    imageId: slimmed.id,
    user: user.spec,
    userOrigin: user.origin,
    originalBytes: source.image.Size,
    slimBytes: slimImage.Size,
    ratio: slimImage.Size > 0 ? source.image.Size / slimImage.Size : 0,
    floorBytes: kept.keep.floorBytes,
    filesKept: slimmed.filesKept,
    filesRemoved: originalFiles - slimmed.filesKept,
    shellsRemoved: shellsAll.filter((p) => !keptSet.has(p)),
    shellsKept: shellsAll.filter((p) => keptSet.has(p)).map(keptWhy),
    packageManagersRemoved: pmAll.filter((p) => !keptSet.has(p)),
    packageManagersKept: pmAll.filter((p) => keptSet.has(p)).map(keptWhy),
    setuidRemoved: [
      ...new Set([...findSetuid(index).filter((p) => !keptSet.has(p)), ...slimmed.stats.setuidStripped]),
    ].sort(),
    capabilitiesStripped: slimmed.stats.capabilitiesStripped,
    unresolvedLibraries: kept.keep.unresolved,
    entrypointScript: wrapper.script
      ? { path: wrapper.script, elided: wrapper.elided, reason: wrapper.reason }
      : undefined,
    probes: slimmed.probes,
    durationMs: Date.now() - started,
  };
}

async function inspectImageId(docker: Docker, ref: string): Promise<string> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch {
    throw new ShipshapeError(`no image or service named "${ref}"`, {
      hint: 'name a service of the compose app, or an image on this engine (docker images)',
    });
  }
}

function toList(v: string[] | string | null | undefined): string[] {
  return v == null ? [] : Array.isArray(v) ? v : [v];
}

/** The argv the container runs, with compose's override rules for entrypoint and command. */
export function effectiveArgv(
  imageEntrypoint: string[] | string | null | undefined,
  imageCmd: string[] | null | undefined,
  service?: ServiceModel,
): string[] {
  const entrypoint = service?.entrypoint ?? toList(imageEntrypoint);
  // Compose: overriding the entrypoint drops the image's CMD unless `command` is also set.
  const cmd = service?.command ?? (service?.entrypoint ? [] : toList(imageCmd));
  return [...entrypoint, ...cmd];
}

/** TCP ports an image EXPOSEs. */
export function exposedPorts(exposed: Record<string, unknown> | undefined): number[] {
  return clean(
    Object.keys(exposed ?? {})
      .filter((k) => !k.endsWith('/udp'))
      .map((k) => Number.parseInt(k, 10)),
  );
}

/**
 * The ports slim probes: `--port`, else the ports the service really listens on — what compose
 * publishes or declares (`ports:` targets, `expose:`) — else the image's EXPOSEd ports, of which
 * only those something listens on are probed (an EXPOSE nothing serves must not fail the original).
 */
export function probePorts(
  exposed: Record<string, unknown> | undefined,
  service?: ServiceModel,
  chosen?: number[],
): { ports: number[]; discoverPorts: boolean } {
  if (chosen && chosen.length > 0) return { ports: clean(chosen), discoverPorts: false };
  if (service && service.servicePorts.length > 0)
    return { ports: clean(service.servicePorts), discoverPorts: false };
  return { ports: exposedPorts(exposed), discoverPorts: true };
}

function clean(ports: number[]): number[] {
  return [...new Set(ports)].filter((p) => Number.isInteger(p) && p > 0 && p < 65536).sort((a, b) => a - b);
}

/** The slim image's tag: the service's image name (`serviceImageName`) or the image, `:1.0` → `:1.0-slim`, `:latest` → `:slim`. */
export function defaultTag(target: SlimTarget): string {
  return slimImageName(
    target.kind === 'service' ? serviceImageName(target.app.name, target.service) : target.ref,
  );
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-');
}
