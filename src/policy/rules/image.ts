import { posix } from 'node:path';
import type { ImageSnapshot } from '../../engine/image-read.js';
import { isRootUser, isSensitive, runsAsRoot } from '../../model/intent/index.js';
import type { ServiceModel, SourceLocation } from '../../model/types.js';
import type { FsEntry, IndexOptions } from '../../images/image-fs.js';
import { PACKAGE_MANAGERS, SHELLS, findNamed, findSetuid } from '../../images/contents.js';
import type { Finding } from '../findings.js';
import { ruleFinding } from './catalog.js';

/**
 * Image rules, on an image read through the engine (never run): its configuration and an index
 * of its files (src/images/image-fs.ts), plus what the same pass sniffed — private keys by their
 * PEM/OpenSSH header and the content of small files whose names say credential.
 */
export interface ImageFacts {
  snapshot: ImageSnapshot;
  /** `built` (what compose builds or names) or `slim` (what `shipshape slim` made of it). */
  kind: 'built' | 'slim';
  privateKeys: string[];
}

const KEY_HEADER = /-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----|-----BEGIN OPENSSH PRIVATE KEY-----/;
/** Files whose name says credential; content decides for the ones that are often harmless. */
const CREDENTIAL_NAMES =
  /\/(\.aws\/credentials|\.docker\/config\.json|\.git-credentials|\.netrc|\.pypirc|\.npmrc|\.env(\.[\w-]+)?|\.boto|\.s3cfg|\.pgpass|\.my\.cnf)$/;
const MAX_CREDENTIAL_FILE = 64 * 1024;
/** Package trees ship sample files (`.npmrc`, test keys) that are not the app's. */
const VENDORED = /\/(node_modules|site-packages|dist-packages)\/.+\/(test|tests|fixtures?|examples?)\//;

/** Index options that collect what the image rules need in the same pass. */
export function imageIndexOptions(): { options: IndexOptions; privateKeys: string[] } {
  const privateKeys: string[] = [];
  const options: IndexOptions = {
    capture: (path, size) => size <= MAX_CREDENTIAL_FILE && CREDENTIAL_NAMES.test(path),
    sniff: (entry: FsEntry, head: Buffer) => {
      if (entry.size <= MAX_CREDENTIAL_FILE && !VENDORED.test(entry.path)) {
        if (KEY_HEADER.test(head.subarray(0, 4096).toString('latin1'))) privateKeys.push(entry.path);
      }
    },
  };
  return { options, privateKeys };
}

const LIST = 5;
const listed = (paths: string[]) =>
  paths.slice(0, LIST).join(', ') + (paths.length > LIST ? ` (and ${paths.length - LIST} more)` : '');

export interface ImageJudgement {
  service: ServiceModel;
  facts: ImageFacts;
  /** Where to fix it: the Dockerfile's built stage, or the compose `image:`. */
  location: SourceLocation;
  /** Whether a slim image of the service exists (large built images without one are a finding). */
  slimmed: boolean;
}

export function imageFindings(j: ImageJudgement): Finding[] {
  const { index } = j.facts.snapshot;
  const what = `${j.facts.kind === 'slim' ? 'slim image' : 'image'} ${j.facts.snapshot.ref}`;
  const make = (name: string, message: string, image?: string, details?: string[]): Finding => {
    return ruleFinding('image', name, {
      service: j.service.name,
      message: `${what}: ${message}`,
      location: j.location,
      path: j.facts.snapshot.ref,
      ...(image ? { image } : {}),
      ...(details && details.length > 1 ? { details } : {}),
    });
  };
  const out: Finding[] = [];
  const setuid = findSetuid(index);
  if (setuid.length)
    out.push(make('setuid', `${setuid.length} setuid/setgid file(s): ${listed(setuid)}`, setuid[0], setuid));
  const shells = findNamed(index, SHELLS);
  if (shells.length) out.push(make('shell', `shells: ${listed(shells)}`, shells[0], shells));
  const managers = findNamed(index, PACKAGE_MANAGERS);
  if (managers.length)
    out.push(make('package-manager', `package managers: ${listed(managers)}`, managers[0], managers));
  const writable = worldWritable(index.entries.values());
  if (writable.length)
    out.push(
      make(
        'world-writable',
        `${writable.length} world-writable path(s) without the sticky bit: ${listed(writable)}`,
        writable[0],
      ),
    );
  for (const key of j.facts.privateKeys) out.push(make('private-key', `private key ${key}`, key));
  for (const [path, text] of index.texts) {
    if (CREDENTIAL_NAMES.test(path) && holdsCredential(path, text))
      out.push(make('credential-file', `credential file ${path}`, path));
  }
  for (const kv of j.facts.snapshot.env) {
    const eq = kv.indexOf('=');
    const [name, value] = [kv.slice(0, eq), kv.slice(eq + 1)];
    if (value && !/_FILE$/.test(name) && isSensitive(name, value))
      out.push(make('credential-env', `environment ${name} looks like a credential`));
  }
  out.push(...userFinding(j, make));
  const { layers, size } = j.facts.snapshot;
  if (layers > 40) out.push(make('many-layers', `${layers} layers`));
  if (j.facts.kind === 'built' && size > 500e6 && !j.slimmed)
    out.push(make('large-image', `${(size / 1e6).toFixed(0)} MB and no slim image`));
  return out;
}

/**
 * Whether the image runs as root. For the built image only when the model could not know
 * (`root: 'unknown'`, an image-only service): otherwise the gate and the Dockerfile rules already
 * judge the model's decision. A slim image carries its own user, which compose `user:` overrides.
 */
function userFinding(j: ImageJudgement, make: (name: string, message: string) => Finding): Finding[] {
  const imageUser = j.facts.snapshot.user;
  const decision = j.service.intent.user;
  const root =
    j.facts.kind === 'slim'
      ? decision.source === 'compose'
        ? decision.root === true
        : isRootUser(imageUser)
      : decision.root === 'unknown' && runsAsRoot(decision, imageUser);
  return root
    ? [make('runs-as-root', `runs as ${imageUser ? `"${imageUser}" (root)` : 'root (no USER)'}`)]
    : [];
}

function worldWritable(entries: Iterable<FsEntry>): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (/^\/(proc|sys|dev)(\/|$)/.test(e.path)) continue;
    if (e.type !== 'file' && e.type !== 'directory') continue;
    if ((e.mode & 0o002) !== 0 && (e.type === 'file' || (e.mode & 0o1000) === 0)) out.push(e.path);
  }
  return out.sort();
}

/** Whether a credential-named file holds a credential (an empty `.npmrc` or `.env` does not). */
function holdsCredential(path: string, text: string): boolean {
  const base = posix.basename(path);
  if (base === '.npmrc') return /_auth(Token)?\s*=|_password\s*=/.test(text);
  if (base === 'config.json')
    return /"auths?"\s*:\s*\{[^}]*"auth"\s*:/.test(text) || /"identitytoken"/.test(text);
  if (base.startsWith('.env'))
    return text.split('\n').some((line) => {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$/.exec(line);
      return m !== null && m[2]!.trim() !== '' && isSensitive(m[1]!, m[2]!.trim());
    });
  return text.trim().length > 0;
}
