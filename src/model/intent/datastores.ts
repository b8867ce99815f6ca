import { tagVersion } from '../image-ref.js';
import { MANAGED_ENGINES } from '../datastores/index.js';
import type { NormalizedService } from '../normalize.js';
import type {
  DatastoreCredentials,
  DatastoreIntent,
  ImageRef,
  ManagedEngine,
  Refusal,
  SourceLocation,
  TableSpec,
} from '../types.js';
import { formatPath, type DocPath } from '../yaml-source.js';
import { masterUser } from './master-user.js';
import {
  datastoreOf,
  datastoreRuntime,
  managedMappingFor,
  notManageable,
  type ManagedMapping,
} from './catalog.js';

/**
 * What a recognized datastore becomes in the cloud: the managed service and version a careful
 * engineer would choose from its image, the account it is created with, or why it stays a
 * container. Decided once here; `config` prints it, `synth` builds it, `up` runs the image.
 */

/** Tables a DynamoDB stand-in gets when `x-shipshape.tables` declares none (single-table design). */
export const DEFAULT_TABLE: TableSpec = {
  name: 'main',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
};
/** The bucket an S3 stand-in gets when `x-shipshape.buckets` declares none. */
export const DEFAULT_BUCKET = 'data';

type Version = [number, number, number];
const parse = (v: string): Version => {
  const [a = 0, b = 0, c = 0] = v.split('.').map(Number);
  return [a, b, c];
};
const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** `version` is absent for services that have no versions to pick (DynamoDB, S3). */
export type VersionChoice = { version?: string; note?: string } | { refusal: string };

/**
 * The managed version for an image tag. Untagged (or `latest`, `alpine`): the newest offered.
 * `major`: the image's `major.minor` when offered, else the next one up within the major, else the
 * newest of the major; an image older than everything offered gets the oldest offered (an upgrade,
 * said so); one newer than everything offered is refused. `at-least`: the oldest offered version
 * that is at least the image's (API compatibility); newer than everything offered is refused.
 */
export function pickVersion(mapping: ManagedMapping, ref: ImageRef): VersionChoice {
  const offered = mapping.versions;
  // A versionless service (DynamoDB, S3): the stand-in's tag (`dynamodb-local:2.5.2`,
  // `minio:RELEASE.2024-…`) versions the stand-in, not the service, so there is nothing to pick.
  if (offered.length === 0) return {};
  const newest = offered[offered.length - 1]!;
  const tag = tagVersion(ref);
  if (!tag) return { version: newest, note: `${ref.tag ?? 'no tag'}: the newest ${mapping.service} offers` };
  const wanted: Version = [tag.major, tag.minor ?? 0, 0];
  const shown = tag.minor === undefined ? String(tag.major) : `${tag.major}.${tag.minor}`;
  const tooNew = () => ({
    refusal: `${mapping.service} offers versions up to ${newest}; the image's ${shown} is newer`,
  });
  if (mapping.match === 'at-least') {
    const hit = offered.find((v) => compare(parse(v), wanted) >= 0);
    return hit ? { version: hit } : tooNew();
  }
  const same = offered.filter((v) => parse(v)[0] === tag.major);
  if (same.length === 0) {
    if (tag.major < parse(offered[0]!)[0]) {
      return {
        version: offered[0]!,
        note: `${shown} is no longer offered; ${offered[0]} is the oldest (an upgrade: test the app against it)`,
      };
    }
    return tooNew();
  }
  if (tag.minor === undefined) return { version: same[same.length - 1]! };
  const up = same.find((v) => compare(parse(v), wanted) >= 0);
  return up ? { version: up } : { version: same[same.length - 1]! };
}

/**
 * The engine and version: ElastiCache offers Redis OSS only up to 7.1, so a newer (or untagged)
 * `redis` image becomes Valkey, Redis's open-source continuation with the same protocol.
 */
function chooseEngine(
  mapping: ManagedMapping,
  ref: ImageRef,
): { mapping: ManagedMapping; choice: VersionChoice; why?: string } {
  const choice = pickVersion(mapping, ref);
  if (mapping.engine === 'elasticache-redis' && ('refusal' in choice || !tagVersion(ref))) {
    const valkey = MANAGED_ENGINES['elasticache-valkey'];
    const newest = valkey.versions[valkey.versions.length - 1]!;
    return {
      mapping: valkey,
      choice: { version: newest },
      why: `ElastiCache offers Redis OSS up to 7.1, so redis:${ref.tag ?? 'latest'} becomes Valkey ${newest} (Redis's open-source continuation, same protocol and commands)`,
    };
  }
  return { mapping, choice };
}

export interface DatastoreContext {
  locate(path: DocPath): SourceLocation;
}

export interface DatastoreDecision {
  datastore?: DatastoreIntent;
  refusal?: Refusal;
  /** Local values the image was configured with, so callers using them can be mapped (never printed). */
  local?: LocalCredentials;
}

export interface LocalCredentials {
  /** Passwords the image was given (`MYSQL_ROOT_PASSWORD`, `--requirepass`). */
  passwords: string[];
  /** User names callers may connect as locally (`MYSQL_USER`, and `root` for MySQL and MariaDB). */
  users: string[];
  /** Access keys of an S3 stand-in (`MINIO_ROOT_USER`), which callers must not send to AWS. */
  accessKeys: string[];
}

/** Decide what a service's datastore image becomes in the cloud. */
export function decideDatastore(
  s: NormalizedService,
  ref: ImageRef | undefined,
  built: boolean,
  ctx: DatastoreContext,
): DatastoreDecision {
  const hit = ref ? datastoreOf(ref) : undefined;
  if (!hit || !ref) return {};
  const runtime = built ? undefined : datastoreRuntime(hit.kind, ref);
  const base = { ...hit, ...(runtime ? { dataDir: runtime.dataDir } : {}) };
  const what = built ? `built from ${ref.reference}` : `${ref.repository.replace(/^library\//, '')} image`;
  const mapping = managedMappingFor(hit.kind, ref);
  if (!mapping) {
    const why = notManageable(ref);
    return {
      datastore: {
        ...base,
        cloud: 'container',
        reason: `${what}: a private container (${why ?? `no managed mapping for ${ref.name === hit.kind ? hit.kind : ref.name}`})`,
      },
    };
  }
  if (!s.x.managed)
    return {
      datastore: {
        ...base,
        cloud: 'container',
        reason: `${what}: kept a private container (x-shipshape.managed: false)`,
      },
    };
  if (built)
    return {
      datastore: {
        ...base,
        cloud: 'container',
        reason: `${what} with its own Dockerfile: kept a private container (set image: to use ${mapping.service})`,
      },
    };
  const { mapping: chosen, choice, why } = chooseEngine(mapping, ref);
  if ('refusal' in choice) {
    const path = ['services', s.name, 'image'];
    return {
      datastore: { ...base, cloud: 'container', reason: `${what}: refused — ${choice.refusal}` },
      refusal: {
        rule: 'datastore-version',
        path: formatPath(path),
        location: ctx.locate(path),
        message: `${choice.refusal}, so it cannot become ${chosen.service}`,
        fix: `pin an image version ${chosen.service} offers (${ref.name}:${chosen.versions[chosen.versions.length - 1]}), or keep it a container with \`x-shipshape: { managed: false }\`${base.dataDir ? ` and a named volume at ${base.dataDir}` : ''}`,
      },
    };
  }
  const { credentials, local } = credentialsOf(chosen.engine, s);
  const version = choice.version;
  const note = version ? (why ?? choice.note) : undefined;
  const detail = [version ? `${chosen.service} ${version}` : chosen.service, note].filter(Boolean);
  return {
    datastore: {
      ...base,
      cloud: 'managed',
      managedBy: chosen.service,
      engine: chosen.engine,
      ...(version ? { version } : {}),
      ...(credentials ? { credentials } : {}),
      ...(chosen.engine === 'dynamodb'
        ? { tables: s.x.tables.length > 0 ? s.x.tables : [DEFAULT_TABLE] }
        : {}),
      ...(chosen.engine === 's3' ? { buckets: s.x.buckets.length > 0 ? s.x.buckets : [DEFAULT_BUCKET] } : {}),
      reason: `${what} → ${detail[0]}${detail[1] ? ` (${detail[1]})` : ''}`,
    },
    local,
  };
}

/** The password given on the command line: `redis-server --requirepass secret`. */
function commandPassword(command: readonly string[] | undefined): string | undefined {
  const args = command ?? [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--requirepass(?:=(.*))?$/.exec(args[i]!);
    if (m) return m[1] ?? args[i + 1];
  }
  return undefined;
}

function credentialsOf(
  engine: ManagedEngine,
  s: NormalizedService,
): { credentials?: DatastoreCredentials; local: LocalCredentials } {
  const env = s.environment;
  const { standIn, account } = MANAGED_ENGINES[engine];
  if (standIn) {
    const accessKeys = standIn.accessKeyVariables.map((k) => env[k] ?? '').filter(Boolean);
    return { local: { passwords: [], users: [], accessKeys } };
  }
  if (!account) return { local: { passwords: [], users: [], accessKeys: [] } };
  const first = (names: readonly string[]) =>
    names.map((n) => env[n]).find((v) => v !== undefined && v !== '');
  const configured = first(account.users);
  const variable = account.users.find((n) => env[n] === configured);
  // The master user the managed service accepts (a reserved name maps to the engine's default).
  const master = account.defaultUser
    ? masterUser(engine, configured && sanitize(configured), account.defaultUser, variable)
    : undefined;
  const username = master?.username;
  const database = first(account.databases);
  const passwords = account.passwords.map((n) => env[n]).filter((v): v is string => !!v);
  const fromCommand = commandPassword(s.command);
  if (fromCommand) passwords.push(fromCommand);
  const secretPaths = new Map(s.secrets.map((r) => [r.target, r.source]));
  const passwordSecret = account.passwords
    .map((n) => secretPaths.get(env[`${n}_FILE`] ?? ''))
    .find((v) => v !== undefined);
  const users = [configured, username].filter((u): u is string => !!u);
  users.push(...(account.builtInUsers ?? []));
  return {
    credentials: {
      ...(username ? { username } : {}),
      ...(master?.reason ? { usernameReason: master.reason } : {}),
      ...(database ? { database: sanitize(database) } : {}),
      ...(passwordSecret ? { passwordSecret } : {}),
    },
    local: { passwords, users: [...new Set(users)], accessKeys: [] },
  };
}

/** Managed services accept letters, digits and `_` in user and database names. */
const sanitize = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');
