import { ImageIndex, type FsEntry } from '../../../src/images/image-fs.js';
import type { ElfInfo } from '../../../src/images/elf.js';

/** A hand-built image index: Debian-like merged /usr with a dynamic binary and a script. */
export function fakeIndex(extra: Array<Partial<FsEntry> & { path: string }> = []): ImageIndex {
  const index = new ImageIndex();
  const elf = (over: Partial<ElfInfo>): ElfInfo => ({
    bits: 64,
    littleEndian: true,
    machine: 62,
    type: 3,
    needed: [],
    rpath: [],
    runpath: [],
    isStatic: false,
    ...over,
  });
  const entries: Array<Partial<FsEntry> & { path: string }> = [
    { path: '/usr', type: 'directory' },
    { path: '/usr/bin', type: 'directory' },
    { path: '/usr/lib', type: 'directory' },
    { path: '/usr/lib/x86_64-linux-gnu', type: 'directory' },
    { path: '/usr/lib64', type: 'directory' },
    { path: '/lib', type: 'symlink', linkname: 'usr/lib' },
    { path: '/lib64', type: 'symlink', linkname: 'usr/lib64' },
    { path: '/bin', type: 'symlink', linkname: 'usr/bin' },
    { path: '/etc', type: 'directory' },
    { path: '/etc/passwd', type: 'file', size: 100 },
    { path: '/etc/group', type: 'file', size: 50 },
    { path: '/tmp', type: 'directory', mode: 0o1777 },
    {
      path: '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
      type: 'file',
      size: 200,
      elf: elf({ soname: 'ld-linux-x86-64.so.2' }),
    },
    {
      path: '/usr/lib64/ld-linux-x86-64.so.2',
      type: 'symlink',
      linkname: '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    },
    {
      path: '/usr/lib/x86_64-linux-gnu/libc.so.6',
      type: 'file',
      size: 2000,
      elf: elf({
        soname: 'libc.so.6',
        needed: ['ld-linux-x86-64.so.2'],
        interpreter: '/lib64/ld-linux-x86-64.so.2',
      }),
    },
    { path: '/usr/lib/x86_64-linux-gnu/libz.so.1', type: 'symlink', linkname: 'libz.so.1.2.13' },
    {
      path: '/usr/lib/x86_64-linux-gnu/libz.so.1.2.13',
      type: 'file',
      size: 100,
      elf: elf({ soname: 'libz.so.1', needed: ['libc.so.6'] }),
    },
    { path: '/usr/lib/i386-linux-gnu', type: 'directory' },
    {
      path: '/usr/bin/app',
      type: 'file',
      size: 5000,
      mode: 0o755,
      elf: elf({ type: 2, interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libz.so.1', 'libc.so.6'] }),
    },
    {
      path: '/usr/bin/dash',
      type: 'file',
      size: 120,
      mode: 0o755,
      elf: elf({ interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libc.so.6'] }),
    },
    { path: '/usr/bin/sh', type: 'symlink', linkname: 'dash' },
    { path: '/usr/bin/bash', type: 'file', size: 900, mode: 0o755 },
    { path: '/usr/bin/apt-get', type: 'file', size: 300, mode: 0o755 },
    { path: '/usr/bin/pip3.11', type: 'file', size: 10, mode: 0o755 },
    { path: '/usr/bin/su', type: 'file', size: 60, mode: 0o4755 },
    { path: '/entrypoint.sh', type: 'file', size: 40, mode: 0o755, shebang: '/bin/sh' },
    { path: '/app', type: 'directory', mode: 0o750, uid: 1000 },
    { path: '/app/templates', type: 'directory' },
    { path: '/app/templates/a.html', type: 'file', size: 7 },
    { path: '/app/templates/b.html', type: 'file', size: 8 },
    { path: '/app/secret.key', type: 'file', size: 9 },
    { path: '/proc', type: 'directory' },
    { path: '/.dockerenv', type: 'file', size: 0 },
    ...extra,
  ];
  for (const e of entries) {
    index.add({ type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, ...e } as FsEntry);
  }
  index.texts.set('/etc/passwd', 'root:x:0:0::/root:/bin/sh\n');
  return index;
}
