import { SHIPSHAPE_VERSION } from '../support/version.js';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LABELS, engine, requireEngine, removeByLabel } from '../engine/client.js';
import { serviceImageTag } from '../engine/build.js';
import { parseImageRef, untagged } from '../model/image-ref.js';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel, ServiceModel } from '../model/types.js';
import { onCleanup } from '../support/cleanup.js';
import { filterExport, importSlimImage, type SlimConfig } from './assemble.js';
import { serviceImage, startDependencies } from './deps.js';
import { exercise, type ExerciseResult, type ExerciseSpec } from './exercise.js';
import { indexExport } from './image-fs.js';
import { PACKAGE_MANAGERS, SHELLS, computeKeepSet, findNamed, findSetuid } from './keep.js';
import { parseProbe, type ProbeResult } from './probes.js';
import { parseTrace } from './trace.js';
import { TRACE_FILE, buildTracerBundle } from './tracer.js';
import { resolveRuntimeUser, type RuntimeUser } from './user.js';
import { analyzeEntrypoint, type WrapperVerdict } from './wrapper.js';

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

export class SlimVerificationError extends ShipshapeError {
  constructor(
    message: string,
    readonly folder: string,
    readonly probes: ProbeResult[],
  ) {
    super(message, { exitCode: ExitCode.verification, hint: `see ${folder}` });
  }
}

const FILE_TYPES = new Set(['file', 'symlink', 'link']);

export async function slim(options: SlimOptions): Promise<SlimReport> {
  const started = Date.now();
  const docker = await requireEngine(options.docker ?? engine());
  const progress = options.onProgress ?? (() => undefined);
  const runId = randomBytes(6).toString('hex');
  const target = options.target;
  const service = target.kind === 'service' ? target.service : undefined;
  const app = target.kind === 'service' ? target.app : undefined;
  const labels: Record<string, string> = {
    [LABELS.managed]: 'true',
    [LABELS.role]: 'slim',
    [SLIM_RUN_LABEL]: runId,
    // Deliberately not LABELS.app/LABELS.service: these throwaway containers are not part of the
    // running app, and `down`/`ps` for the app must neither list nor remove them mid-run.
    ...(app && service ? { [SLIM_APP_LABEL]: `${app.name}/${service.name}` } : {}),
  };
  const prefix = `shipshape-slim-${runId}`;
  const temp = mkdtempSync(join(tmpdir(), 'shipshape-slim-'));
  let uncommittedImage: string | undefined;

  const cleanup = async () => {
    await removeByLabel({ [SLIM_RUN_LABEL]: runId }, { volumes: true, docker }).catch(() => undefined);
    // A create request in flight when Ctrl-C arrived can land after the first sweep: sweep again.
    await new Promise((r) => setTimeout(r, 300));
    await removeByLabel({ [SLIM_RUN_LABEL]: runId }, { volumes: true, docker }).catch(() => undefined);
    if (uncommittedImage) {
      await docker
        .getImage(uncommittedImage)
        .remove({ force: true })
        .catch(() => undefined);
    }
    rmSync(temp, { recursive: true, force: true });
  };
  const unregister = onCleanup(`shipshape slim ${runId}`, cleanup);

  try {
    // 1. The original image and its config.
    const sourceRef = target.kind === 'image' ? target.ref : (service!.image ?? service!.name);
    const imageId =
      target.kind === 'image'
        ? await inspectImageId(docker, target.ref)
        : await serviceImage(docker, app!, service!, progress);
    const image = await docker.getImage(imageId).inspect();
    const cfg = image.Config;
    const x = service?.x.slim;
    const probePaths = (
      options.probes?.length ? options.probes : x?.probes?.length ? x.probes : [service?.x.healthPath ?? '/']
    ).map(parseProbe);
    const test = options.test ?? x?.test;
    const ports = exposedPorts(cfg.ExposedPorts, service);
    const argv = effectiveArgv(cfg.Entrypoint, cfg.Cmd, service);
    const tag = options.tag ?? defaultTag(target);
    const projectDir = app?.projectDir ?? process.cwd();
    const reportBase = options.reportDir ?? join(projectDir, '.shipshape', 'slim');

    // 2. Index the original filesystem (one streamed pass over a created, never-started container).
    progress(`indexing ${sourceRef}`);
    const source = await docker.createContainer({
      Image: imageId,
      Labels: labels,
      name: `${prefix}-source`,
      Entrypoint: ['/'],
      Cmd: [],
    });
    const index = await indexExport((await source.export()) as unknown as Readable);

    const user = resolveRuntimeUser(
      cfg.User,
      options.user,
      index.texts.get('/etc/passwd'),
      index.texts.get('/etc/group'),
    );
    progress(`runtime user ${user.spec} (${user.origin})`);

    // 3. Network and dependencies.
    const network = await docker.createNetwork({
      Name: `${prefix}-net`,
      Labels: labels,
      CheckDuplicate: true,
    });
    if (app && service) await startDependencies(docker, app, service, network.id, labels, prefix, progress);

    const readOnly = service?.readOnly !== false;
    const base: Omit<ExerciseSpec, 'image' | 'name' | 'argv'> = {
      docker,
      env: service ? Object.entries(service.environment).map(([k, v]) => `${k}=${v}`) : [],
      user: user.spec,
      ports,
      paths: probePaths,
      test,
      testCwd: projectDir,
      readOnly,
      tmpfs: readOnly ? { '/tmp': 'rw,nosuid,nodev,size=256m', ...tmpfsOf(service) } : tmpfsOf(service),
      capAdd: service?.capAdd ?? [],
      network: network.id,
      aliases: service ? [service.name] : [],
      labels,
      startupTimeoutMs: options.startupTimeoutMs ?? 60_000,
      onProgress: (l) => progress(`  ${l}`),
    };

    // 4. Traced run of the original.
    progress('building the tracer bundle');
    const bundleDir = join(temp, 'tracer');
    mkdirSync(bundleDir);
    const bundle = buildTracerBundle(bundleDir);
    const traceDir = join(temp, 'trace');
    mkdirSync(traceDir);
    // The traced program runs as the (non-root) runtime user and must write its trace here;
    // the directory sits inside this run's 0700 temp dir, so no other host user can reach it.
    chmodSync(traceDir, 0o777);
    progress(`tracing ${sourceRef} while probing it`);
    const traced = await exercise({
      ...base,
      image: imageId,
      name: `${prefix}-traced`,
      argv,
      tracer: { bundle, traceDir },
    });
    const traceText = existsSync(join(traceDir, TRACE_FILE))
      ? readFileSync(join(traceDir, TRACE_FILE), 'utf8')
      : '';
    const trace = parseTrace(traceText, cfg.WorkingDir || '/');
    if (!traced.ok) {
      const folder = writeFailureFolder(reportBase, service?.name ?? sanitize(sourceRef), {
        phase: 'original',
        result: traced,
        trace: traceText,
      });
      throw new SlimVerificationError(
        `the original image ${sourceRef} fails its probes while traced (as user ${user.spec}); nothing was slimmed` +
          `\n${describeFailures(traced.probes)}`,
        folder,
        traced.probes,
      );
    }

    // 5. Entrypoint wrapper, then the keep-set.
    const entrypointLength = service?.entrypoint ? 0 : toList(cfg.Entrypoint).length;
    const wrapper: WrapperVerdict = analyzeEntrypoint(trace, argv, entrypointLength, index);
    if (wrapper.script) progress(wrapper.reason);
    const keep = computeKeepSet(index, wrapper.trace ?? trace, {
      env: [...(cfg.Env ?? []), ...base.env],
      workingDir: cfg.WorkingDir || undefined,
      volumes: Object.keys(cfg.Volumes ?? {}),
      include: options.include ?? x?.include ?? [],
      exclude: options.exclude ?? x?.exclude ?? [],
    });
    progress(`keeping ${keep.paths.size} of ${index.entries.size} paths`);

    // 6. Assemble (second streamed pass over the same never-started container).
    const keptFiles = [...keep.paths.keys()].filter((p) => FILE_TYPES.has(index.get(p)?.type ?? '')).length;
    const slimConfig: SlimConfig = {
      entrypoint: wrapper.elided ? null : toList(cfg.Entrypoint),
      cmd: cfg.Cmd,
      env: cfg.Env ?? [],
      workingDir: cfg.WorkingDir || undefined,
      exposedPorts: Object.keys(cfg.ExposedPorts ?? {}),
      labels: {
        ...(cfg.Labels ?? {}),
        'io.shipshape.slim.source': sourceRef,
        'io.shipshape.slim.source-digest': image.RepoDigests?.[0] ?? image.Id,
        'io.shipshape.slim.version': SHIPSHAPE_VERSION,
        'io.shipshape.slim.files-kept': String(keptFiles),
      },
      stopSignal: (cfg as { StopSignal?: string }).StopSignal || undefined,
      volumes: Object.keys(cfg.Volumes ?? {}),
      user: user.spec,
    };
    progress('assembling the slim image');
    const filtered = filterExport(
      (await source.export()) as unknown as Readable,
      new Set(keep.paths.keys()),
      user,
    );
    const [slimId, stats] = await Promise.all([
      importSlimImage(docker, filtered.tar, slimConfig),
      filtered.done,
    ]);
    uncommittedImage = slimId;

    // 7. Verify the slim image under the same probes and tests.
    progress('verifying the slim image');
    const slimArgv = effectiveArgv(slimConfig.entrypoint, cfg.Cmd, service);
    const verified = await exercise({ ...base, image: slimId, name: `${prefix}-verify`, argv: slimArgv });
    if (!verified.ok) {
      progress('verification failed; tracing the slim image to find what it missed');
      const diagDir = join(temp, 'trace-slim');
      mkdirSync(diagDir);
      chmodSync(diagDir, 0o777);
      const diag = await exercise({
        ...base,
        image: slimId,
        name: `${prefix}-diag`,
        argv: slimArgv,
        tracer: { bundle, traceDir: diagDir },
      }).catch(() => undefined);
      const diagText = existsSync(join(diagDir, TRACE_FILE))
        ? readFileSync(join(diagDir, TRACE_FILE), 'utf8')
        : '';
      const missed = [...parseTrace(diagText, cfg.WorkingDir || '/').missing]
        .filter((p) => index.resolve(p).real !== undefined)
        .sort();
      const folder = writeFailureFolder(reportBase, service?.name ?? sanitize(sourceRef), {
        phase: 'slim',
        result: verified,
        trace: traceText,
        keep: keep.paths,
        missed,
        diagnosticLogs: diag?.logs,
      });
      throw new SlimVerificationError(
        `the slim image failed verification; no image was tagged\n${describeFailures(verified.probes)}` +
          (missed.length
            ? `\nmissing in the slim image but present in the original: ${missed.slice(0, 10).join(', ')}`
            : ''),
        folder,
        verified.probes,
      );
    }

    // 8. Commit: tag, report.
    const [repo, tagPart] = splitTag(tag);
    await docker.getImage(slimId).tag({ repo, tag: tagPart });
    uncommittedImage = undefined;
    const slimImage = await docker.getImage(slimId).inspect();
    const keptSet = new Set(keep.paths.keys());
    const shellsAll = findNamed(index, SHELLS);
    const pmAll = findNamed(index, PACKAGE_MANAGERS);
    const keptWhy = (p: string): KeptShell => ({ path: p, reason: keep.paths.get(p) ?? '' });
    const originalFiles = [...index.entries.values()].filter((e) => FILE_TYPES.has(e.type)).length;
    return {
      source: sourceRef,
      sourceImageId: image.Id,
      tag,
      imageId: slimId,
      user: user.spec,
      userOrigin: user.origin,
      originalBytes: image.Size,
      slimBytes: slimImage.Size,
      ratio: slimImage.Size > 0 ? image.Size / slimImage.Size : 0,
      floorBytes: keep.floorBytes,
      filesKept: keptFiles,
      filesRemoved: originalFiles - keptFiles,
      shellsRemoved: shellsAll.filter((p) => !keptSet.has(p)),
      shellsKept: shellsAll.filter((p) => keptSet.has(p)).map(keptWhy),
      packageManagersRemoved: pmAll.filter((p) => !keptSet.has(p)),
      packageManagersKept: pmAll.filter((p) => keptSet.has(p)).map(keptWhy),
      setuidRemoved: [
        ...new Set([...findSetuid(index).filter((p) => !keptSet.has(p)), ...stats.setuidStripped]),
      ].sort(),
      capabilitiesStripped: stats.capabilitiesStripped,
      unresolvedLibraries: keep.unresolved,
      entrypointScript: wrapper.script
        ? { path: wrapper.script, elided: wrapper.elided, reason: wrapper.reason }
        : undefined,
      probes: verified.probes,
      durationMs: Date.now() - started,
    };
  } finally {
    unregister();
    await cleanup();
  }
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

/** TCP ports to probe: the service's ports (model), else the image's EXPOSE. */
export function exposedPorts(exposed: Record<string, unknown> | undefined, service?: ServiceModel): number[] {
  const fromImage = Object.keys(exposed ?? {})
    .filter((k) => !k.endsWith('/udp'))
    .map((k) => Number.parseInt(k, 10));
  const ports = service && service.intent.listenPorts.length > 0 ? service.intent.listenPorts : fromImage;
  return [...new Set(ports)].filter((p) => Number.isInteger(p) && p > 0).sort((a, b) => a - b);
}

function tmpfsOf(service?: ServiceModel): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of service?.tmpfs ?? []) out[t.target] = t.options;
  return out;
}

export function defaultTag(target: SlimTarget): string {
  if (target.kind === 'service') {
    return target.service.image && !target.service.build
      ? imageSlimTag(target.service.image)
      : serviceImageTag(target.app, target.service).replace(/:latest$/, ':slim');
  }
  return imageSlimTag(target.ref);
}

function imageSlimTag(ref: string): string {
  const [repo, tag] = splitTag(ref);
  return tag === 'latest' ? `${repo}:slim` : `${repo}:${tag}-slim`;
}

/** `registry:5000/app:1.0` → [`registry:5000/app`, `1.0`]; no tag → `latest`. */
export function splitTag(reference: string): [string, string] {
  const ref = parseImageRef(reference);
  return [untagged(ref), ref.tag ?? 'latest'];
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-');
}

function describeFailures(probes: ProbeResult[]): string {
  return probes
    .filter((p) => !p.ok)
    .map((p) => `  ${p.name}: ${p.detail.split('\n').slice(0, 3).join(' | ')}`)
    .join('\n');
}

/** Write the failure folder: trace, keep-list, probe output, logs, missed paths. Returns its path. */
function writeFailureFolder(
  base: string,
  name: string,
  data: {
    phase: 'original' | 'slim';
    result: ExerciseResult;
    trace: string;
    keep?: Map<string, string>;
    missed?: string[];
    diagnosticLogs?: string;
  },
): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const folder = join(base, `${name}-${stamp}`);
  mkdirSync(folder, { recursive: true });
  const readme = [
    `shipshape slim failed: ${data.phase === 'original' ? 'the ORIGINAL image failed its probes while traced' : 'the SLIM image failed verification (no image was tagged)'}`,
    '',
    'Files:',
    '  probes.txt   each probe and test with its output (failing ones first)',
    '  logs.txt     the container output',
    '  trace.log    strace of the original image under the probes',
    ...(data.keep ? ['  keep-list.txt  every kept path and why'] : []),
    ...(data.missed
      ? [
          '  missed.txt   paths the slim run looked for that exist in the original (include them with --include)',
        ]
      : []),
  ].join('\n');
  writeFileSync(join(folder, 'README.txt'), `${readme}\n`);
  const sorted = [...data.result.probes].sort((a, b) => Number(a.ok) - Number(b.ok));
  writeFileSync(
    join(folder, 'probes.txt'),
    sorted.map((p) => `== ${p.ok ? 'PASS' : 'FAIL'} ${p.name}\n${p.detail}\n`).join('\n'),
  );
  writeFileSync(join(folder, 'logs.txt'), data.result.logs);
  writeFileSync(join(folder, 'trace.log'), data.trace);
  if (data.keep) {
    writeFileSync(
      join(folder, 'keep-list.txt'),
      [...data.keep]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([p, r]) => `${p}\t${r}`)
        .join('\n') + '\n',
    );
  }
  if (data.missed) writeFileSync(join(folder, 'missed.txt'), data.missed.join('\n') + '\n');
  if (data.diagnosticLogs !== undefined)
    writeFileSync(join(folder, 'logs-traced-slim.txt'), data.diagnosticLogs);
  return folder;
}
