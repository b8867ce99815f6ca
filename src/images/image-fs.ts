import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { extract, type Header } from 'tar-stream';
import { isElf, parseElf, shebangInterpreter, type ElfInfo } from './elf.js';

/** A read-only view of a filesystem: the image's export index, or the host. */
export interface FsView {
  /** The real path of `path` after following every symlink, or undefined when it does not exist. */
  realPath(path: string): string | undefined;
  /** ELF facts of the regular file at `realPath`, or undefined when it is not ELF. */
  elf(realPath: string): ElfInfo | undefined;
}

/**
 * An index of an image's filesystem, read from one streamed pass over a container export:
 * every entry's type, mode, owner, size and link target, plus the ELF facts of every ELF file
 * and the interpreter of every `#!` script. File contents are not kept (ELF files are held in
 * memory one at a time while parsed), so the index of a 1 GB image is a few MB.
 */

export type EntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

export interface FsEntry {
  /** Absolute normalized path, e.g. `/usr/bin/node`. */
  path: string;
  type: EntryType;
  /** Permission bits including setuid/setgid/sticky (no file-type bits). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content (regular files only; 0 otherwise). */
  size: number;
  /** Symlink target (as stored) or hard-link target (absolute path). */
  linkname?: string;
  elf?: ElfInfo;
  /** `#!` interpreter of a script. */
  shebang?: string;
}

/** Small text files the keep-set logic reads: loader configuration and the user database. */
const CAPTURED = /^\/etc\/(ld\.so\.conf(\.d\/.*)?|ld-musl-[^/]+\.path|passwd|group)$/;
/** Larger ELF files are indexed without their closure (nothing real comes close). */
const MAX_ELF_BYTES = 1024 * 1024 * 1024;

/** Normalize a tar entry name (`usr/bin/`, `./etc`) to `/usr/bin`, `/etc`. */
export function entryPath(name: string): string {
  const p = posix.normalize(`/${name}`);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

export function entryType(header: Header): EntryType {
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'link';
    default:
      return 'other';
  }
}

export class ImageIndex implements FsView {
  readonly entries = new Map<string, FsEntry>();
  /** Contents of CAPTURED files, by path. */
  readonly texts = new Map<string, string>();

  add(entry: FsEntry): void {
    this.entries.set(entry.path, entry);
  }

  get(path: string): FsEntry | undefined {
    return this.entries.get(path);
  }

  /**
   * Follow `path` component by component as the kernel does. Returns the real path (undefined
   * when it does not exist) and every symlink crossed on the way, so the keep-set can keep the
   * whole chain (`/lib` → `usr/lib`, `libc.so.6` → `libc-2.36.so`).
   */
  resolve(path: string): { real?: string; links: string[] } {
    const links: string[] = [];
    const real = this.walk(path, links, 0);
    return { real, links };
  }

  private walk(path: string, links: string[], depth: number): string | undefined {
    if (depth > 40) return undefined; // ELOOP
    const parts = posix.normalize(path).split('/').filter(Boolean);
    let current = '/';
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part === '..') {
        current = posix.dirname(current);
        continue;
      }
      const next = posix.join(current, part);
      const entry = this.entries.get(next);
      if (!entry) return undefined;
      if (entry.type === 'symlink' && entry.linkname !== undefined) {
        links.push(next);
        const target = posix.resolve(current, entry.linkname);
        const resolved = this.walk(target, links, depth + 1);
        if (resolved === undefined) return undefined;
        current = resolved;
      } else {
        if (i < parts.length - 1 && entry.type !== 'directory') return undefined; // ENOTDIR
        current = next;
      }
    }
    return current;
  }

  realPath(path: string): string | undefined {
    return this.resolve(path).real;
  }

  elf(realPath: string): ElfInfo | undefined {
    const entry = this.entries.get(realPath);
    if (entry?.type === 'link' && entry.linkname) return this.entries.get(entry.linkname)?.elf;
    return entry?.elf;
  }
}

/** What else to read in the same pass (`check` and `sbom` read package databases and sniff keys). */
export interface IndexOptions {
  /** Keep the whole content of these regular files in `texts` (keep them small). Default none. */
  capture?: (path: string, size: number) => boolean;
  /** Called with the first chunk of every non-empty regular file. Default none. */
  sniff?: (entry: FsEntry, head: Buffer) => void;
  /** Called with the content of every ELF file indexed. Default none. */
  onElf?: (entry: FsEntry, content: Buffer) => void;
}

/** Build the index from a container export stream (`docker export`). */
export async function indexExport(tar: Readable, options: IndexOptions = {}): Promise<ImageIndex> {
  const index = new ImageIndex();
  const ex = extract();
  tar.on('error', (e) => ex.destroy(e));
  tar.pipe(ex);
  for await (const entry of ex) {
    const header = entry.header;
    const path = entryPath(header.name);
    const type = entryType(header);
    const record: FsEntry = {
      path,
      type,
      mode: (header.mode ?? 0) & 0o7777,
      uid: header.uid ?? 0,
      gid: header.gid ?? 0,
      size: type === 'file' ? (header.size ?? 0) : 0,
    };
    if (type === 'symlink') record.linkname = header.linkname ?? undefined;
    if (type === 'link' && header.linkname) record.linkname = entryPath(header.linkname);
    if (type === 'file' && record.size > 0) {
      const chunks: Buffer[] = [];
      let keep: 'undecided' | 'elf' | 'text' | 'no' = 'undecided';
      const capture = CAPTURED.test(path) || options.capture?.(path, record.size) === true;
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        if (keep === 'undecided') {
          options.sniff?.(record, chunk);
          if (isElf(chunk) && record.size <= MAX_ELF_BYTES) keep = 'elf';
          else {
            record.shebang = shebangInterpreter(chunk);
            keep = capture ? 'text' : 'no';
          }
        }
        if (keep !== 'no') chunks.push(chunk);
      }
      if (keep === 'elf') {
        const content = Buffer.concat(chunks);
        record.elf = parseElf(content);
        options.onElf?.(record, content);
      }
      if (keep === 'text') index.texts.set(path, Buffer.concat(chunks).toString('utf8'));
    } else {
      entry.resume();
    }
    index.add(record);
  }
  return index;
}
