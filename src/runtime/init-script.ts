/**
 * The init container's shell script (BusyBox `sh`): it runs as root with only CAP_CHOWN, before
 * the app starts, on task volumes that start empty, owned by root, mode 0755.
 *
 * The order of each step matters: root without CAP_FOWNER may change the mode only of what it
 * owns, so every `chmod` comes before the `chown` that gives a file or directory away (the other
 * way round, `chmod` fails with EPERM and the app never starts).
 */

/** A compose secret written to a file: its value arrives in the environment variable `variable`. */
export interface SecretFile {
  /** The compose top-level secret. */
  readonly secret: string;
  readonly variable: string;
  /** Absolute path in the container (under /run/secrets). */
  readonly target: string;
}

/** A scratch volume handed to the app's user, as the init container sees it. */
export interface VolumePreparation {
  readonly directory: string;
  /** Octal mode, e.g. `1777` or `0755`. */
  readonly mode: string;
  /** Owner to hand it to; none: it stays root's (with a mode that lets the app write). */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Write each secret to its target (parent directories 0755, so any user can reach it), readable
 * by the app's user only (0400, chowned) when its uid is known, else by every user of the
 * container (0444: a user name cannot be resolved outside the app's image); then hand each scratch
 * volume over.
 */
export function initScript(
  secrets: readonly SecretFile[],
  volumes: readonly VolumePreparation[],
  owner: { uid: number; gid: number } | undefined,
): string {
  const lines = ['set -eu', 'umask 022'];
  for (const s of secrets) {
    const file = shellQuote(s.target);
    lines.push(`mkdir -p "$(dirname ${file})"`, `printf '%s' "$${s.variable}" > ${file}`);
    lines.push(owner ? `chmod 0400 ${file}` : `chmod 0444 ${file}`);
    if (owner) lines.push(`chown ${owner.uid}:${owner.gid} ${file}`);
  }
  for (const v of volumes) {
    const dir = shellQuote(v.directory);
    lines.push(`chmod ${v.mode} ${dir}`);
    if (v.owner) lines.push(`chown ${v.owner.uid}:${v.owner.gid} ${dir}`);
  }
  return lines.join('\n');
}
