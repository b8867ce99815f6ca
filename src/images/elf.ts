/**
 * A minimal ELF reader: just what the keep-set needs — the program interpreter (PT_INTERP) and
 * the dynamic section's DT_NEEDED, DT_RPATH and DT_RUNPATH. Written by hand because no well-kept
 * npm package reads the dynamic section (the candidates are unmaintained or only read PT_INTERP),
 * and because shipshape must not run `ldd` inside the image it slims (no shell, maybe no loader,
 * and running the image's code on the host is unsafe).
 *
 * Handles ELF32/ELF64 in either byte order, so a foreign-architecture file is recognised (and
 * left alone by the resolver) instead of being misread.
 */

export interface ElfInfo {
  /** 32 or 64. */
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_machine, e.g. 62 (x86-64), 183 (aarch64). */
  machine: number;
  /** e_type: 2 executable, 3 shared object / PIE. */
  type: number;
  /** PT_INTERP, e.g. `/lib64/ld-linux-x86-64.so.2`; undefined for static binaries and libraries. */
  interpreter?: string;
  /** DT_NEEDED sonames, in order. Empty for static binaries. */
  needed: string[];
  /** DT_RPATH entries (colon-split, `$ORIGIN` not expanded). */
  rpath: string[];
  /** DT_RUNPATH entries (colon-split, `$ORIGIN` not expanded). */
  runpath: string[];
  /** DT_SONAME, when present. */
  soname?: string;
  /** True when the file has no PT_INTERP and no PT_DYNAMIC (a fully static binary). */
  isStatic: boolean;
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NULL = 0;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_SONAME = 14;
const DT_RPATH = 15;
const DT_RUNPATH = 29;

/** True when `head` starts with the ELF magic `\x7fELF`. */
export function isElf(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/**
 * Parse an ELF file held in memory. Returns undefined when the buffer is not ELF or is truncated
 * or malformed (a damaged file must not abort a slim run; it is simply kept without a closure).
 */
export function parseElf(buf: Buffer): ElfInfo | undefined {
  if (!isElf(buf) || buf.length < 52) return undefined;
  const bits = buf[4] === 2 ? 64 : buf[4] === 1 ? 32 : undefined;
  const littleEndian = buf[5] === 1 ? true : buf[5] === 2 ? false : undefined;
  if (bits === undefined || littleEndian === undefined) return undefined;
  try {
    return parseChecked(buf, bits, littleEndian);
  } catch (e) {
    if (e instanceof RangeError) return undefined; // truncated: a read ran past the end
    throw e;
  }
}

function parseChecked(buf: Buffer, bits: 32 | 64, le: boolean): ElfInfo {
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u64 = (o: number) => Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
  const word = bits === 64 ? u64 : u32;

  const type = u16(16);
  const machine = u16(18);
  const phoff = bits === 64 ? u64(32) : u32(28);
  const phentsize = u16(bits === 64 ? 54 : 42);
  const phnum = u16(bits === 64 ? 56 : 44);

  interface Segment {
    type: number;
    offset: number;
    vaddr: number;
    filesz: number;
  }
  const segments: Segment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    segments.push(
      bits === 64
        ? { type: u32(p), offset: u64(p + 8), vaddr: u64(p + 16), filesz: u64(p + 32) }
        : { type: u32(p), offset: u32(p + 4), vaddr: u32(p + 8), filesz: u32(p + 16) },
    );
  }

  const info: ElfInfo = {
    bits,
    littleEndian: le,
    machine,
    type,
    needed: [],
    rpath: [],
    runpath: [],
    isStatic: true,
  };

  const interp = segments.find((s) => s.type === PT_INTERP);
  if (interp) {
    info.interpreter = cString(buf, interp.offset, interp.offset + interp.filesz);
    info.isStatic = false;
  }
  const dynamic = segments.find((s) => s.type === PT_DYNAMIC);
  if (!dynamic) return info;
  info.isStatic = false;

  // The dynamic section names strings by offset into DT_STRTAB, which is a virtual address:
  // map it back to a file offset through the PT_LOAD segment that contains it.
  const entrySize = bits === 64 ? 16 : 8;
  const entries: Array<[number, number]> = [];
  for (let p = dynamic.offset; p + entrySize <= dynamic.offset + dynamic.filesz; p += entrySize) {
    const tag = word(p);
    if (tag === DT_NULL) break;
    entries.push([tag, word(p + entrySize / 2)]);
  }
  const strtabAddr = entries.find(([t]) => t === DT_STRTAB)?.[1];
  if (strtabAddr === undefined) return info;
  const load = segments.find(
    (s) => s.type === PT_LOAD && strtabAddr >= s.vaddr && strtabAddr < s.vaddr + s.filesz,
  );
  if (!load) return info;
  const strtab = load.offset + (strtabAddr - load.vaddr);
  const str = (off: number) => cString(buf, strtab + off, buf.length);
  const paths = (s: string) => s.split(':').filter(Boolean);
  for (const [tag, value] of entries) {
    if (tag === DT_NEEDED) info.needed.push(str(value));
    else if (tag === DT_SONAME) info.soname = str(value);
    else if (tag === DT_RPATH) info.rpath.push(...paths(str(value)));
    else if (tag === DT_RUNPATH) info.runpath.push(...paths(str(value)));
  }
  return info;
}

function cString(buf: Buffer, start: number, end: number): string {
  if (start >= buf.length) throw new RangeError('string offset past end of file');
  const stop = buf.indexOf(0, start);
  return buf.toString('utf8', start, stop === -1 || stop > end ? Math.min(end, buf.length) : stop);
}

/** The `#!` interpreter of a script (`#!/bin/sh -e` → `/bin/sh`), or undefined. */
export function shebangInterpreter(head: Uint8Array): string | undefined {
  if (head.length < 3 || head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  const text = Buffer.from(head.subarray(2, Math.min(head.length, 256))).toString('utf8');
  const line = text.split('\n')[0]!.trim();
  const interpreter = line.split(/[ \t]+/)[0];
  return interpreter && interpreter.startsWith('/') ? interpreter : undefined;
}
