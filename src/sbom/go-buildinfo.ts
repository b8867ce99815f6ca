/**
 * The build information Go (1.18+) embeds in every binary: Go version, main module and every
 * dependency module with its version. Read by hand because no npm package parses it; the format
 * is small and stable (`debug/buildinfo` in the Go source): a 32-byte header starting with the
 * magic `\xff Go buildinf:`, then — with the "inline strings" flag — two uvarint-length-prefixed
 * strings, the Go version and the module info (`path`, `mod`, `dep`, `=>` lines, tab-separated,
 * between two 16-byte sentinels).
 */
export interface GoModule {
  path: string;
  version: string;
  /** `h1:` checksum, when recorded. */
  sum?: string;
}

export interface GoBuildInfo {
  goVersion: string;
  /** The main package's import path. */
  path?: string;
  main?: GoModule;
  deps: GoModule[];
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const FLAG_INLINE_STRINGS = 0x2;

function uvarint(buf: Buffer, at: number): [value: number, next: number] | undefined {
  let value = 0;
  let shift = 0;
  for (let i = at; i < buf.length && i < at + 10; i++) {
    const b = buf[i]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, i + 1];
    shift += 7;
  }
  return undefined;
}

function lengthPrefixed(buf: Buffer, at: number): [text: string, next: number] | undefined {
  const n = uvarint(buf, at);
  if (!n || n[1] + n[0] > buf.length) return undefined;
  return [buf.subarray(n[1], n[1] + n[0]).toString('utf8'), n[1] + n[0]];
}

/** Parse Go build info from a binary's bytes; undefined for non-Go or pre-1.18 binaries. */
export function readGoBuildInfo(binary: Buffer): GoBuildInfo | undefined {
  // The header is 16-byte aligned inside .go.buildinfo; search instead of parsing sections.
  let at = binary.indexOf(MAGIC);
  while (at >= 0 && at % 16 !== 0) at = binary.indexOf(MAGIC, at + 1);
  if (at < 0 || at + 32 > binary.length) return undefined;
  const flags = binary[at + 15]!;
  if ((flags & FLAG_INLINE_STRINGS) === 0) return undefined;
  const version = lengthPrefixed(binary, at + 32);
  if (!version) return undefined;
  const mod = lengthPrefixed(binary, version[1]);
  let modinfo = mod?.[0] ?? '';
  if (modinfo.length >= 33 && modinfo[modinfo.length - 17] === '\n') modinfo = modinfo.slice(16, -16);
  return { goVersion: version[0], ...parseModInfo(modinfo) };
}

/** The `path`/`mod`/`dep`/`=>` lines of Go module info. */
export function parseModInfo(text: string): Omit<GoBuildInfo, 'goVersion'> {
  const out: Omit<GoBuildInfo, 'goVersion'> = { deps: [] };
  for (const line of text.split('\n')) {
    const [kind, path, version, sum] = line.split('\t');
    const mod = (): GoModule => ({ path: path ?? '', version: version ?? '', ...(sum ? { sum } : {}) });
    if (kind === 'path') out.path = path;
    else if (kind === 'mod') out.main = mod();
    else if (kind === 'dep') out.deps.push(mod());
    else if (kind === '=>' && out.deps.length > 0) out.deps[out.deps.length - 1] = mod();
  }
  return out;
}
