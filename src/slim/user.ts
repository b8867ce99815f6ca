import { isRootUser } from '../model/intent/index.js';
import { ShipshapeError } from '../model/errors.js';

/**
 * The user the slim image runs as. A non-root original user is kept; root (or no user) maps to
 * 65532:65532, the uid distroless images use for "nonroot", which is added to /etc/passwd and
 * /etc/group so programs that look up their own user still work.
 */

export const NONROOT = { uid: 65532, gid: 65532, name: 'nonroot' } as const;

export interface RuntimeUser {
  uid: number;
  gid: number;
  /** `uid:gid`, numeric so the runtime needs no passwd lookup. */
  spec: string;
  /** Why this user: kept from the image, mapped from root, or given with --user. */
  origin: 'image' | 'mapped-from-root' | 'flag';
  /** New /etc/passwd content when the user must be added; undefined to keep the file as is. */
  passwd?: string;
  /** New /etc/group content when the group must be added; undefined to keep the file as is. */
  group?: string;
}

interface DbEntry {
  name: string;
  id: number;
  gid?: number;
}

function parseDb(text: string | undefined, kind: 'passwd' | 'group'): DbEntry[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && /^\d+$/.test(f[2]!))
    .map((f) => ({
      name: f[0]!,
      id: Number(f[2]),
      gid: kind === 'passwd' && f[3] && /^\d+$/.test(f[3]) ? Number(f[3]) : undefined,
    }));
}

/**
 * Resolve the runtime user from the image's `User` (name or number, optional group), an
 * explicit `--user UID:GID`, and the image's passwd/group files.
 */
export function resolveRuntimeUser(
  imageUser: string | undefined,
  flag: string | undefined,
  passwdText: string | undefined,
  groupText: string | undefined,
): RuntimeUser {
  const passwd = parseDb(passwdText, 'passwd');
  const groups = parseDb(groupText, 'group');
  let uid: number;
  let gid: number;
  let origin: RuntimeUser['origin'];

  if (flag !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(flag.trim());
    if (!m) {
      throw new ShipshapeError(`--user "${flag}" is not UID:GID`, {
        hint: 'pass numbers, e.g. --user 10001:10001',
      });
    }
    uid = Number(m[1]);
    gid = m[2] === undefined ? uid : Number(m[2]);
    if (uid === 0 || gid === 0) {
      throw new ShipshapeError(`--user ${flag}: slim images never run as root`, {
        hint: 'pick a non-root UID:GID, or omit --user to keep the image user (root maps to 65532:65532)',
      });
    }
    origin = 'flag';
  } else {
    const [userPart = '', groupPart] = (imageUser ?? '').split(':');
    if (isRootUser(imageUser)) {
      uid = NONROOT.uid;
      gid = NONROOT.gid;
      origin = 'mapped-from-root';
    } else {
      const byName = /^\d+$/.test(userPart) ? undefined : passwd.find((p) => p.name === userPart);
      if (!/^\d+$/.test(userPart) && !byName) {
        throw new ShipshapeError(
          `the image runs as user "${userPart}", which its /etc/passwd does not define`,
          {
            hint: 'pass --user UID:GID',
          },
        );
      }
      uid = byName ? byName.id : Number(userPart);
      const primary = byName?.gid ?? passwd.find((p) => p.id === uid)?.gid;
      if (groupPart === undefined || groupPart === '') gid = primary ?? uid;
      else if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
      else {
        const g = groups.find((e) => e.name === groupPart);
        if (!g) {
          throw new ShipshapeError(`the image's group "${groupPart}" is not in its /etc/group`, {
            hint: 'pass --user UID:GID',
          });
        }
        gid = g.id;
      }
      origin = 'image';
      if (uid === 0) {
        uid = NONROOT.uid;
        gid = NONROOT.gid;
        origin = 'mapped-from-root';
      }
    }
  }

  const user: RuntimeUser = { uid, gid, spec: `${uid}:${gid}`, origin };
  const base = (text: string | undefined, rootLine: string) =>
    text === undefined ? `${rootLine}\n` : text.endsWith('\n') || text === '' ? text : `${text}\n`;
  if (!passwd.some((p) => p.id === uid)) {
    const name = uid === NONROOT.uid ? NONROOT.name : `app${uid}`;
    user.passwd = `${base(passwdText, 'root:x:0:0:root:/root:/sbin/nologin')}${name}:x:${uid}:${gid}:${name}:/nonexistent:/sbin/nologin\n`;
  }
  if (!groups.some((g) => g.id === gid)) {
    const name = gid === NONROOT.gid ? NONROOT.name : `app${gid}`;
    user.group = `${base(groupText, 'root:x:0:')}${name}:x:${gid}:\n`;
  }
  return user;
}
