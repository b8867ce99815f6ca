import type Docker from 'dockerode';
import { pack, extract, type Header } from 'tar-stream';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { entryPath } from '../images/image-fs.js';
import type { RuntimeUser } from './user.js';

/**
 * Assemble the slim image in one streamed pass: the original container's export flows through a
 * filter that passes only kept entries into a new tar, which is the body of a `docker import`.
 * Nothing is written to disk and the result has exactly one layer.
 *
 * Why `import` and not a `docker load` archive: a load archive must state the layer's byte size
 * before its content, which a streamed filter cannot know without a second full copy. `import`
 * takes the layer as a stream and applies the config through Dockerfile-style changes; the only
 * setting it does not accept, STOPSIGNAL, is applied by a metadata-only build step afterwards.
 */

/** The parts of the original image config that the slim image keeps. */
export interface SlimConfig {
  entrypoint?: string[] | null;
  cmd?: string[] | null;
  env: string[];
  workingDir?: string;
  exposedPorts: string[];
  labels: Record<string, string>;
  stopSignal?: string;
  volumes: string[];
  user: string;
}

/** Quote for a Dockerfile instruction argument: `"…"` with `\`, `"` and `$` escaped. */
export function dockerfileQuote(value: string): string {
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/** The `docker import` changes that recreate `config` (everything but STOPSIGNAL). */
export function importChanges(config: SlimConfig): string[] {
  const changes: string[] = [];
  if (config.entrypoint && config.entrypoint.length > 0)
    changes.push(`ENTRYPOINT ${JSON.stringify(config.entrypoint)}`);
  if (config.cmd && config.cmd.length > 0) changes.push(`CMD ${JSON.stringify(config.cmd)}`);
  for (const e of config.env) {
    const eq = e.indexOf('=');
    if (eq <= 0) continue;
    changes.push(`ENV ${e.slice(0, eq)}=${dockerfileQuote(e.slice(eq + 1))}`);
  }
  if (config.workingDir) changes.push(`WORKDIR ${config.workingDir}`);
  for (const p of config.exposedPorts) changes.push(`EXPOSE ${p}`);
  for (const [k, v] of Object.entries(config.labels))
    changes.push(`LABEL ${dockerfileQuote(k)}=${dockerfileQuote(v)}`);
  if (config.volumes.length > 0) changes.push(`VOLUME ${JSON.stringify(config.volumes)}`);
  changes.push(`USER ${config.user}`);
  return changes;
}

export interface FilterStats {
  /** Entries written to the slim layer. */
  entries: number;
  /** Regular files written. */
  files: number;
  /** Files whose setuid/setgid bit was cleared. */
  setuidStripped: string[];
  /** Files whose file capabilities (security.capability xattr) were dropped. */
  capabilitiesStripped: string[];
}

/**
 * Stream `exportTar` through the keep filter into a new tar (returned as a readable). `user`
 * supplies replacement /etc/passwd and /etc/group contents when the runtime user was added.
 */
export function filterExport(
  exportTar: Readable,
  keep: Set<string>,
  user: RuntimeUser,
): { tar: Readable; done: Promise<FilterStats> } {
  const out = pack();
  const ex = extract();
  const stats: FilterStats = { entries: 0, files: 0, setuidStripped: [], capabilitiesStripped: [] };
  const replacements = new Map<string, string>();
  if (user.passwd !== undefined) replacements.set('/etc/passwd', user.passwd);
  if (user.group !== undefined) replacements.set('/etc/group', user.group);
  const written = new Set<string>();

  const done = (async () => {
    exportTar.on('error', (e) => ex.destroy(e));
    exportTar.pipe(ex);
    for await (const entry of ex) {
      const header = entry.header;
      const path = entryPath(header.name);
      if (!keep.has(path)) {
        entry.resume();
        continue;
      }
      const h: Header = { ...header };
      if (h.type === 'file' && h.mode !== undefined && (h.mode & 0o6000) !== 0) {
        // No setuid/setgid in a slim image: the app never needs to gain privileges (and runs
        // with no-new-privileges anyway), while such files are a classic escalation path.
        h.mode &= ~0o6000;
        stats.setuidStripped.push(path);
      }
      const pax = h.pax as Record<string, string> | null | undefined;
      if (pax && 'SCHILY.xattr.security.capability' in pax) {
        // File capabilities are setuid's modern form: dropped for the same reason.
        const { ['SCHILY.xattr.security.capability']: _dropped, ...rest } = pax;
        h.pax = rest;
        stats.capabilitiesStripped.push(path);
      }
      written.add(path);
      stats.entries++;
      const replacement = replacements.get(path);
      if (replacement !== undefined && h.type === 'file') {
        entry.resume();
        const body = Buffer.from(replacement);
        await entryWrite(out, { ...h, size: body.length }, body);
        stats.files++;
        continue;
      }
      if (h.type === 'file' || h.type === 'contiguous-file') {
        stats.files++;
        const sink = out.entry(h);
        await pipeline(entry, sink);
      } else {
        entry.resume();
        await entryWrite(out, h);
      }
    }
    // The runtime user's passwd/group when the original had none.
    for (const [path, content] of replacements) {
      if (written.has(path)) continue;
      if (!written.has('/etc')) {
        await entryWrite(out, { name: 'etc', type: 'directory', mode: 0o755, uid: 0, gid: 0 });
        written.add('/etc');
      }
      const body = Buffer.from(content);
      await entryWrite(
        out,
        { name: path.slice(1), type: 'file', mode: 0o644, uid: 0, gid: 0, size: body.length },
        body,
      );
      stats.entries++;
      stats.files++;
    }
    out.finalize();
    return stats;
  })();
  done.catch((e: Error) => out.destroy(e));
  return { tar: out as unknown as Readable, done };
}

type HeaderArgument = Partial<Header> & Pick<Header, 'name'>;

function entryWrite(out: ReturnType<typeof pack>, header: HeaderArgument, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const callback = (err?: Error | null) => (err ? reject(err) : resolve());
    if (body) out.entry(header, body, callback);
    else out.entry(header, callback);
  });
}

/**
 * Import `tar` as a one-layer image with `config`; returns the new image id (untagged).
 * Applies STOPSIGNAL with a metadata-only build (no layer is added) when the original has one.
 */
export async function importSlimImage(docker: Docker, tar: Readable, config: SlimConfig): Promise<string> {
  const stream = await docker.importImage(
    tar as unknown as string,
    {
      changes: importChanges(config),
      message: 'shipshape slim',
    } as object,
  );
  const events = await new Promise<Array<{ status?: string; error?: string }>>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, res: Array<{ status?: string }>) =>
      err ? reject(err) : resolve(res),
    ),
  );
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(`docker import failed: ${failed.error}`);
  const id = [...events].reverse().find((e) => e.status?.startsWith('sha256:'))?.status;
  if (!id) throw new Error('docker import returned no image id');
  if (!config.stopSignal) return id;

  const dockerfile = `FROM ${id}\nSTOPSIGNAL ${config.stopSignal}\n`;
  const context = pack();
  context.entry({ name: 'Dockerfile', mode: 0o644 }, dockerfile);
  context.finalize();
  const build = await docker.buildImage(
    context as unknown as NodeJS.ReadableStream,
    {
      rm: true,
      forcerm: true,
    } as object,
  );
  const out = await new Promise<Array<{ aux?: { ID?: string }; error?: string; stream?: string }>>(
    (resolve, reject) =>
      docker.modem.followProgress(build, (err: Error | null, res: Array<{ aux?: { ID?: string } }>) =>
        err ? reject(err) : resolve(res),
      ),
  );
  const buildError = out.find((e) => e.error);
  if (buildError) throw new Error(`setting STOPSIGNAL failed: ${buildError.error}`);
  const built = out.find((e) => e.aux?.ID)?.aux?.ID;
  if (!built) throw new Error('setting STOPSIGNAL returned no image id');
  return built;
}
