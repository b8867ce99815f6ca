import { readFileSync, statSync } from 'node:fs';
import { ExitCode, ShipshapeError } from './errors.js';
import type { SourceLocation } from './types.js';

/**
 * Reading the user's text inputs (compose files, env files, Dockerfiles) in one place, so that
 * every wrong input is the same located, exit-2 error: a missing file, a directory where a file
 * belongs, a file that cannot be read, and bytes that are not UTF-8 (located at the first bad
 * byte: Node's `utf8` decoding would silently turn them into U+FFFD and the app model would carry
 * text nobody wrote).
 */
export interface TextFileWhere {
  /** What the file is, for the message: `compose file`, `env file`, `Dockerfile`. */
  what: string;
  /** Where the file is named (the compose key), when it is named in a compose file. */
  location?: SourceLocation;
  /** Compose document path naming the file. */
  path?: string;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The file's text; throws a located ShipshapeError (exit 2) for anything that is not a readable UTF-8 file. */
export function readTextFile(file: string, where: TextFileWhere): string {
  const at = where.location ?? { file, line: 0, column: 0 };
  const fail = (message: string, hint: string, location = at): never => {
    throw new ShipshapeError(message, { exitCode: ExitCode.usage, location, path: where.path, hint });
  };
  let bytes: Buffer;
  try {
    if (!statSync(file).isFile())
      fail(`${where.what} ${file} is not a file`, `point it at a ${where.what}, not a directory`);
    bytes = readFileSync(file);
  } catch (e) {
    if (e instanceof ShipshapeError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail(`${where.what} ${file} not found`, 'create it or fix the path');
    if (code === 'EISDIR')
      return fail(`${where.what} ${file} is not a file`, `point it at a ${where.what}, not a directory`);
    return fail(
      `cannot read ${where.what} ${file} (${code ?? (e as Error).message})`,
      'make it readable by the user running shipshape',
    );
  }
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, bad);
    const line = before.filter((b) => b === 0x0a).length + 1;
    const column = bad - (before.lastIndexOf(0x0a) + 1) + 1;
    return fail(
      `${where.what} ${file} is not UTF-8 text (byte 0x${bytes[bad]!.toString(16).padStart(2, '0')} at line ${line}, column ${column})`,
      'save the file as UTF-8',
      { file, line, column },
    );
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    try {
      fatalUtf8.decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return bytes.length;
}
