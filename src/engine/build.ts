import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createRequire } from 'node:module';
import type { Ignore } from '@balena/dockerignore';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import { serviceImageName } from '../model/image-ref.js';
import type { AppModel, ServiceModel } from '../model/types.js';
import { LABELS, engine } from './client.js';

export interface BuildServiceImageOptions {
  /** Called with each line of build output (steps, RUN output, status). Default: ignored. */
  onProgress?: (line: string) => void;
  /** Image tag. Default the service's `image:`, else `<app.name>-<service.name>:latest` (see `serviceImageTag`). */
  tag?: string;
  /** Engine to build on. Default the shared client (`engine()`). */
  docker?: Docker;
  /** Extra image labels, merged over shipshape's. Default none. */
  labels?: Record<string, string>;
}

export interface BuiltImage {
  /** `sha256:…` id of the built image. */
  imageId: string;
  tag: string;
}

/**
 * The tag a service's build gets: its `image:` when it has one (compose's rule), else
 * `<app>-<service>:latest` (`serviceImageName`, the one place that decides it).
 */
export function serviceImageTag(app: AppModel, service: ServiceModel): string {
  return serviceImageName(app.name, service);
}

/**
 * Files of a build context that the engine should see, honouring `.dockerignore` with Docker's
 * own matching rules (@balena/dockerignore is a port of moby's fileutils). The Dockerfile and
 * `.dockerignore` are always sent, as the Docker CLI does, because the builder needs them.
 * Paths are relative, `/`-separated, sorted (so the tar, and the build cache, are stable).
 */
export async function listContextFiles(contextDir: string, dockerfile = 'Dockerfile'): Promise<string[]> {
  let patterns = '';
  try {
    patterns = await fs.readFile(path.join(contextDir, '.dockerignore'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const ig = dockerignore({ ignorecase: false }).add(patterns.split(/\r?\n/));
  const alwaysSent = new Set([path.posix.normalize(dockerfile.split(path.sep).join('/')), '.dockerignore']);
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(contextDir, rel), { withFileTypes: true });
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const ignored = ig.ignores(relPath) && !alwaysSent.has(relPath);
      // An ignored directory may still hold re-included files (`!dir/keep`), so descend anyway
      // when any exception pattern exists; otherwise skip the whole subtree.
      if (entry.isDirectory()) {
        if (!ignored || /^\s*!/m.test(patterns)) await walk(relPath);
        continue;
      }
      if (!ignored) out.push(relPath);
    }
  };
  await walk('');
  return out.sort();
}

/** A tar stream of `files` (relative to `contextDir`), keeping modes and symlinks. */
export function packContext(contextDir: string, files: string[]): Readable {
  const tar = pack();
  void (async () => {
    try {
      for (const rel of files) {
        const abs = path.join(contextDir, rel);
        const st = await fs.lstat(abs);
        const header = { name: rel, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
        if (st.isSymbolicLink()) {
          tar.entry({ ...header, type: 'symlink', linkname: await fs.readlink(abs) });
        } else if (st.isFile()) {
          await new Promise<void>((resolve, reject) => {
            const entry = tar.entry({ ...header, size: st.size }, (err) => (err ? reject(err) : resolve()));
            createReadStream(abs).on('error', reject).pipe(entry);
          });
        }
      }
      tar.finalize();
    } catch (e) {
      tar.destroy(e as Error);
    }
  })();
  return tar as unknown as Readable; // tar-stream's Pack is a streamx Readable, which dockerode accepts
}

// The package is CommonJS (`module.exports = factory`) but its typings declare an ES default
// export, which NodeNext resolution reads as `{ default }`; require() gives the real factory.
const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as (options?: {
  ignorecase?: boolean;
}) => Ignore;

const ANSI = new RegExp(String.raw`\u001b\[[0-9;]*m`, 'g');

interface BuildEvent {
  stream?: string;
  status?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Build a service's image through the Docker Engine API (classic builder, which needs no
 * BuildKit session) from its `build:` spec. Streams build output to `onProgress`; a failing step
 * becomes a ShipshapeError whose message names the step and carries its output.
 */
export async function buildServiceImage(
  app: AppModel,
  service: ServiceModel,
  opts: BuildServiceImageOptions = {},
): Promise<BuiltImage> {
  const spec = buildSpec(service);
  const docker = opts.docker ?? engine();
  const tag = opts.tag ?? serviceImageTag(app, service);
  const dockerfilePath = path.join(spec.context, spec.dockerfile);
  await requireDockerfile(service, dockerfilePath);
  const context = packContext(spec.context, await listContextFiles(spec.context, spec.dockerfile));
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(context, {
      t: tag,
      dockerfile: spec.dockerfile.split(path.sep).join('/'),
      buildargs: spec.args,
      ...(spec.target ? { target: spec.target } : {}),
      labels: { [LABELS.app]: app.name, [LABELS.service]: service.name, ...opts.labels },
      rm: true,
      forcerm: true,
    });
  } catch (e) {
    throw new ShipshapeError(`building service "${service.name}" failed: ${(e as Error).message}`, {
      exitCode: ExitCode.failure,
      location: service.location,
      cause: e,
    });
  }
  const outcome = await followBuild(docker, stream, (line) => opts.onProgress?.(line));
  if (outcome.failure !== undefined) throw buildFailed(service, dockerfilePath, outcome);
  // Older engines report the id only as "Successfully built <short id>"; ask for the tag instead.
  const imageId = outcome.imageId ?? ((await docker.getImage(tag).inspect()) as { Id: string }).Id;
  return { imageId, tag };
}

function buildSpec(service: ServiceModel): NonNullable<ServiceModel['build']> {
  if (service.build) return service.build;
  throw new ShipshapeError(
    `service "${service.name}" has no \`build:\` section, so there is nothing to build`,
    {
      location: service.location,
      path: `services.${service.name}.build`,
      hint: 'add `build: .` (or a context path), or use a prebuilt `image:`',
    },
  );
}

async function requireDockerfile(service: ServiceModel, dockerfilePath: string): Promise<void> {
  try {
    await fs.access(dockerfilePath);
  } catch {
    throw new ShipshapeError(`service "${service.name}": Dockerfile not found at ${dockerfilePath}`, {
      location: service.location,
      path: `services.${service.name}.build`,
      hint: 'check `build.context` and `build.dockerfile`',
    });
  }
}

/** What a build stream said: the image id, or the failure and the output of the failing step. */
interface BuildOutcome {
  imageId?: string;
  failure?: string;
  /** The step in progress (`Step 2/5 : RUN …`) and what it printed, for the error message. */
  currentStep: string;
  stepOutput: string[];
}

async function followBuild(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  emit: (line: string) => void,
): Promise<BuildOutcome> {
  const outcome: BuildOutcome = { currentStep: '', stepOutput: [] };
  const onEvent = (event: BuildEvent) => {
    if (event.aux?.ID) outcome.imageId = event.aux.ID;
    if (event.error || event.errorDetail) {
      outcome.failure = event.errorDetail?.message ?? event.error ?? 'unknown build error';
      emit(outcome.failure);
      return;
    }
    const text = event.stream ?? (event.status ? `${event.status} ${event.progress ?? ''}`.trim() : '');
    // The classic builder colours RUN stderr with ANSI codes; strip them for plain messages.
    for (const raw of text.replace(ANSI, '').split('\n')) {
      const line = raw.trimEnd();
      if (!line) continue;
      if (/^Step \d+\/\d+ :/.test(line)) {
        outcome.currentStep = line;
        outcome.stepOutput = [];
      } else if (!/^( ---> |Removing intermediate container )/.test(line)) {
        outcome.stepOutput.push(line);
      }
      emit(line);
    }
  };
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve()), onEvent),
  ).catch((e: Error) => {
    outcome.failure ??= e.message;
  });
  return outcome;
}

function buildFailed(service: ServiceModel, dockerfilePath: string, outcome: BuildOutcome): ShipshapeError {
  const shown = outcome.stepOutput.slice(-30).join('\n');
  return new ShipshapeError(
    `building service "${service.name}" failed${outcome.currentStep ? ` at ${outcome.currentStep}` : ''}: ${outcome.failure}` +
      (shown ? `\n--- step output ---\n${shown}` : ''),
    {
      exitCode: ExitCode.failure,
      location: service.location,
      path: `services.${service.name}.build`,
      hint: `fix the Dockerfile (${dockerfilePath}) and run again`,
    },
  );
}
