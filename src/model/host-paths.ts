import { lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * "Reaches the host", judged on where a path really leads: `..` segments and symlinks are
 * resolved before any decision (a project file `./etc` that links to `/etc`, a link to the Docker
 * socket, `../../../../etc/passwd`). Used for bind mounts, volume driver options, env files and
 * build contexts alike.
 */

/**
 * The path with every symlink resolved: the longest existing prefix through `realpath`, the rest
 * appended as written (a missing path is created by the engine where its parent really is).
 */
export function realPath(path: string, depth = 0): string {
  let head = path;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = realpathSync(head);
      return tail.length > 0 ? join(real, ...tail.reverse()) : real;
    } catch {
      // A dangling symlink (to a socket not present here, say) still says where it leads.
      if (depth < 32 && isSymlink(head)) {
        const target = resolve(dirname(head), readlinkSync(head));
        return realPath(tail.length > 0 ? join(target, ...[...tail].reverse()) : target, depth + 1);
      }
      const parent = dirname(head);
      if (parent === head) return path;
      tail.push(basename(head));
      head = parent;
    }
  }
}

/** Whether `path` is `dir` or below it (both as given: resolve them first). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Whether `path`, with symlinks resolved, is inside `dir` (with symlinks resolved). */
export function reallyInside(dir: string, path: string): boolean {
  return isInside(realPath(dir), realPath(path));
}

/**
 * Sockets of container engines by name (Docker, Podman, containerd, CRI-O, BuildKit, balena): a
 * container that reaches one controls the host. Their directories count too (`/var/run/docker`).
 */
const ENGINE_SOCKET =
  /(^|\/)(docker|podman|containerd|crio|cri-dockerd|buildkitd|balena-engine|dockershim)\.sock$|^\/(var\/)?run\/(docker|podman|containerd|crio|buildkit)(\/|$)|^\/run\/user\/\d+\/(docker|podman)(\.sock|\/|$)/;

/** Whether a host path is (or leads to) a container engine's socket, by its name or because it is a socket. */
export function isEngineSocket(path: string): boolean {
  if (ENGINE_SOCKET.test(path)) return true;
  const real = realPath(path);
  if (real !== path && ENGINE_SOCKET.test(real)) return true;
  try {
    return statSync(real).isSocket();
  } catch {
    return false;
  }
}

/** Host paths whose content is the host itself: mounting them in a container is never portable. */
const SYSTEM_PATHS =
  /^\/(proc|sys|dev|boot|etc|usr|lib|lib32|lib64|libx32|bin|sbin|var|run|root|srv\/docker)?(\/|$)/;

/** Whether a host path (symlinks resolved) is a system path or the root of the filesystem. */
export function isSystemPath(path: string): boolean {
  return SYSTEM_PATHS.test(path);
}

/**
 * Host directories that are never an app's data, though not system paths: the directories that
 * hold users' homes and drives (`/home`, `/Users`, `/mnt`, `/media`, `/tmp`, `/opt`, and each
 * home or drive directly below them), a home directory, its dot-directories (`~/.ssh`, `~/.aws`,
 * `~/.kube`: credentials) and what is in them, and any directory that contains the project (`..`:
 * the project, its siblings and their secrets). Why, or undefined for a path that may be data.
 */
export function hostWideReason(real: string, projectDir: string, home: string): string | undefined {
  if (/^\/(home|Users|mnt|media|Volumes)(\/[^/]+)?\/?$|^\/(tmp|opt|private|snap)\/?$/.test(real))
    return "a directory of users' homes or drives";
  const realHome = realPath(home);
  if (real === realHome || isInside(real, realHome)) return 'the home directory or a directory above it';
  if (isInside(realHome, real) && /^\./.test(relative(realHome, real).split(sep)[0]!))
    return 'a dot-directory of the home directory (where credentials live)';
  if (isInside(real, projectDir) && real !== projectDir) return 'a directory that contains the project';
  return undefined;
}

/** Whether the path exists and is a symlink (for the reason a decision prints). */
export function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
