import { readFileSync, realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isElf, parseElf, shebangInterpreter } from '../../../src/images/elf.js';

// The node binary running this test is a real dynamically linked ELF on every CI machine.
const nodeBinary = readFileSync(realpathSync(process.execPath));

describe('parseElf', () => {
  it('reads the interpreter and DT_NEEDED of a dynamic executable', () => {
    const info = parseElf(nodeBinary)!;
    expect(info.bits).toBe(64);
    expect(info.littleEndian).toBe(true);
    expect(info.isStatic).toBe(false);
    expect(info.interpreter).toMatch(/^\/lib.*\/ld-linux[-a-z0-9_.]*\.so\.\d$/);
    expect(info.needed).toContain('libc.so.6');
  });

  it('reads the soname of a shared library', () => {
    const libc = ['/lib/x86_64-linux-gnu/libc.so.6', '/lib/aarch64-linux-gnu/libc.so.6']
      .map((p) => {
        try {
          return readFileSync(p);
        } catch {
          return undefined;
        }
      })
      .find(Boolean)!;
    const info = parseElf(libc)!;
    expect(info.soname).toBe('libc.so.6');
    expect(info.needed.some((n) => n.startsWith('ld-linux'))).toBe(true);
  });

  it('rejects non-ELF and survives truncation', () => {
    expect(parseElf(Buffer.from('#!/bin/sh\necho hi\n'))).toBeUndefined();
    expect(isElf(Buffer.from([0x7f, 0x45, 0x4c]))).toBe(false);
    // Cut inside the program headers: no throw, no half-made answer.
    expect(parseElf(nodeBinary.subarray(0, 80))).toBeUndefined();
  });

  it('treats a file without PT_INTERP and PT_DYNAMIC as static', () => {
    const fake = Buffer.alloc(64);
    fake.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    fake.writeUInt16LE(2, 16); // ET_EXEC
    fake.writeUInt16LE(62, 18); // x86-64
    fake.writeBigUInt64LE(64n, 32); // phoff
    fake.writeUInt16LE(56, 54);
    fake.writeUInt16LE(0, 56); // no program headers
    const info = parseElf(fake)!;
    expect(info.isStatic).toBe(true);
    expect(info.needed).toEqual([]);
    expect(info.machine).toBe(62);
  });
});

describe('shebangInterpreter', () => {
  it('returns the interpreter path without arguments', () => {
    expect(shebangInterpreter(Buffer.from('#!/bin/sh -e\nexec "$@"\n'))).toBe('/bin/sh');
    expect(shebangInterpreter(Buffer.from('#! /usr/bin/env python3\n'))).toBe('/usr/bin/env');
    expect(shebangInterpreter(Buffer.from('echo no shebang'))).toBeUndefined();
    expect(shebangInterpreter(Buffer.from('#!relative/sh\n'))).toBeUndefined();
  });
});
