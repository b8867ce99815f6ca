import { posix } from 'node:path';
import type { ImageIndex } from './image-fs.js';

/**
 * What an image holds that an attacker would use: shells, package managers, setuid files. One
 * list for the two commands that judge it: `check` (the image rules) and `slim` (what it keeps).
 */

/** Shells: `slim` keeps one only when the app itself runs it (its report says which and why). */
export const SHELLS = new Set([
  'sh',
  'bash',
  'dash',
  'ash',
  'zsh',
  'ksh',
  'mksh',
  'csh',
  'tcsh',
  'fish',
  'busybox',
]);
/** Package managers: what an attacker would use to install tools in a running container. */
export const PACKAGE_MANAGERS = new Set([
  'apt',
  'apt-get',
  'aptitude',
  'dpkg',
  'apk',
  'yum',
  'dnf',
  'microdnf',
  'rpm',
  'zypper',
  'pacman',
  'npm',
  'npx',
  'yarn',
  'pnpm',
  'corepack',
  'pip',
  'pip3',
  'pipx',
  'easy_install',
  'gem',
  'bundle',
  'cargo',
  'go',
]);
const BIN_DIR = /\/(s?bin)\/[^/]+$/;

/** Executables in a bin directory whose name is in `names` (`/usr/bin/pip3.11` counts as pip3). */
export function findNamed(index: ImageIndex, names: Set<string>, within?: Set<string>): string[] {
  const out: string[] = [];
  for (const [path, entry] of index.entries) {
    if (within && !within.has(path)) continue;
    if (!BIN_DIR.test(path) || (entry.type !== 'file' && entry.type !== 'symlink' && entry.type !== 'link'))
      continue;
    const base = posix.basename(path).replace(/[0-9.]+$/, (v) => (names.has(posix.basename(path)) ? v : ''));
    if (names.has(posix.basename(path)) || names.has(base)) out.push(path);
  }
  return out.sort();
}

/** Regular files with the setuid or setgid bit. */
export function findSetuid(index: ImageIndex, within?: Set<string>): string[] {
  const out: string[] = [];
  for (const [path, entry] of index.entries) {
    if (within && !within.has(path)) continue;
    if (entry.type === 'file' && (entry.mode & 0o6000) !== 0) out.push(path);
  }
  return out.sort();
}
