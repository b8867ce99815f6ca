import type { NormalizedService } from '../normalize.js';
import type {
  ConnectionValue,
  ConnectionVariable,
  DatastoreConnection,
  DatastoreIntent,
  Diagnostic,
  EnvironmentDecision,
  ManagedEngine,
  SecretDelivery,
  TrafficEdge,
} from '../types.js';
import type { LocalCredentials } from './datastores.js';
import { hasCredentialUrl } from './environment.js';
import { MANAGED_ENGINES } from '../datastores/index.js';

/**
 * How each caller reaches the managed datastores it calls, decided once: the conventional
 * variables of each engine's ecosystem it gets, and what becomes of its own variables that refer
 * to a datastore — a hostname becomes the managed endpoint, the local password the generated one,
 * a stand-in's endpoint and static AWS keys are dropped so the AWS SDK reaches the real service
 * with the task role's credentials.
 */

export interface ManagedStore {
  name: string;
  /** The service name and its aliases: the hostnames callers use. */
  hosts: string[];
  intent: DatastoreIntent & { engine: ManagedEngine };
  local: LocalCredentials;
}

/** The port a managed network datastore listens on (the engine's default, as in compose). */
export function managedPort(engine: ManagedEngine): number | undefined {
  return MANAGED_ENGINES[engine].port;
}

const AWS_STATIC_CREDENTIALS = new Set(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN']);
const AWS_REGION_VARIABLES = new Set(['AWS_REGION', 'AWS_DEFAULT_REGION']);
const USER_VARIABLE = /(USER|USERNAME|LOGIN)$/i;
const isStandIn = (e: ManagedEngine) => MANAGED_ENGINES[e].standIn !== undefined;

/** The variables each engine's ecosystem expects (documented in docs/infrastructure.md). */
function conventionalVariables(store: ManagedStore): ConnectionVariable[] {
  return MANAGED_ENGINES[store.intent.engine].variables(store.intent);
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The value with every occurrence of one of `hosts` as a hostname replaced by the endpoint, and
 * each engine's TLS spelling: `redis://` → `rediss://`; a `mongodb://` URL gets `tls=true` and
 * `retryWrites=false` (DocumentDB has no retryable writes).
 */
export function rewriteHosts(
  value: string,
  hosts: readonly string[],
  engine: ManagedEngine,
): ConnectionValue {
  const text = MANAGED_ENGINES[engine].rewriteUrl?.(value) ?? value;
  const names = hosts.map(escape).join('|');
  // In a URL only the authority names hosts (`mysql://db:3306/db`: the path is a database name);
  // elsewhere a host stands alone or in a `host:port` list.
  const inAuthority = new RegExp(`(?<=^|[@,])(?:${names})(?=$|[:,])`, 'g');
  const standalone = new RegExp(`(?<=^|[,=\\s;])(?:${names})(?=$|[:,;\\s])`, 'g');
  const parts: ConnectionValue = [];
  const push = (segment: string, pattern: RegExp) => {
    let last = 0;
    for (const m of segment.matchAll(pattern)) {
      if (m.index > last) parts.push(segment.slice(last, m.index));
      parts.push({ field: 'host' });
      last = m.index + m[0].length;
    }
    if (last < segment.length) parts.push(segment.slice(last));
  };
  let rest = 0;
  for (const m of text.matchAll(/[a-z][a-z0-9+.:-]*:\/\/([^/?#\s]*)/gi)) {
    const authorityAt = m.index + m[0].length - m[1]!.length;
    push(text.slice(rest, authorityAt), standalone);
    push(m[1]!, inAuthority);
    rest = m.index + m[0].length;
  }
  push(text.slice(rest), standalone);
  // Adjacent literal pieces read better as one.
  return parts.reduce<ConnectionValue>((acc, p) => {
    const prev = acc[acc.length - 1];
    if (typeof p === 'string' && typeof prev === 'string') acc[acc.length - 1] = prev + p;
    else acc.push(p);
    return acc;
  }, []);
}

const mentions = (value: string, hosts: readonly string[]) =>
  rewriteHosts(value, hosts, 'rds-postgres').some((p) => typeof p !== 'string');

export interface ConnectionPlan {
  environment: EnvironmentDecision[];
  connections: DatastoreConnection[];
  secrets: SecretDelivery[];
  warnings: Diagnostic[];
}

/** Decide how `caller` reaches the managed stores it calls (an edge in the traffic graph). */
export function decideConnections(
  caller: NormalizedService,
  decided: { environment: EnvironmentDecision[]; secrets: SecretDelivery[] },
  calls: readonly TrafficEdge[],
  stores: ReadonlyMap<string, ManagedStore>,
): ConnectionPlan {
  const called = [...new Set(calls.filter((e) => e.from === caller.name).map((e) => e.to))]
    .map((n) => stores.get(n))
    .filter((s): s is ManagedStore => s !== undefined);
  const warnings: Diagnostic[] = [];
  const outcomes = decided.environment.map((e) => ({
    e,
    out: decideVariable(e, caller.environment[e.name] ?? '', called),
  }));
  // A URL without the password needs no warning when the caller has the password in a variable too.
  const hasPassword = new Set(
    outcomes
      .filter(
        ({ out }) =>
          out.decision.cloud?.length === 1 &&
          (out.decision.cloud[0] as { field?: string }).field === 'password',
      )
      .map(({ out }) => out.decision.datastore),
  );
  const environment = outcomes.map(({ e, out }) => {
    if (out.warning?.unlessPassword && hasPassword.has(out.decision.datastore)) delete out.warning;
    if (out.warning) {
      warnings.push({
        severity: 'warning',
        message: `${caller.name}: ${out.warning.message}`,
        path: `services.${caller.name}.environment.${e.name}`,
        location: e.location,
        hint: out.warning.hint,
      });
    }
    return out.decision;
  });
  const own = new Set(Object.keys(caller.environment));
  const connections = called.map((store): DatastoreConnection => ({
    datastore: store.name,
    engine: store.intent.engine,
    variables: conventionalVariables(store).filter((v) => !own.has(v.name)),
    actions: [...(MANAGED_ENGINES[store.intent.engine].standIn?.dataActions ?? [])],
  }));
  const passwordSecrets = passwordSecretsOf(stores);
  const secrets = decided.secrets.map((d): SecretDelivery => {
    const store = passwordSecrets.get(d.name);
    if (!store) return d;
    return {
      ...d,
      datastore: store.name,
      reason: `file ${d.target}: the password of ${store.name}; in the cloud the generated password of ${store.intent.managedBy} (Secrets Manager), written to a read-only task volume`,
    };
  });
  return { environment, connections, secrets, warnings };
}

const secretsByStores = new WeakMap<object, Map<string, ManagedStore>>();

/** Compose secret → the store whose password it carries; once per app (per caller was quadratic). */
function passwordSecretsOf(stores: ReadonlyMap<string, ManagedStore>): Map<string, ManagedStore> {
  let out = secretsByStores.get(stores);
  if (!out) {
    out = new Map(
      [...stores.values()]
        .filter((s) => s.intent.credentials?.passwordSecret)
        .map((s) => [s.intent.credentials!.passwordSecret!, s]),
    );
    secretsByStores.set(stores, out);
  }
  return out;
}

interface VariableOutcome {
  decision: EnvironmentDecision;
  /** `unlessPassword`: moot when the caller also has the datastore's password in a variable. */
  warning?: { message: string; hint: string; unlessPassword?: boolean };
}

function decideVariable(
  e: EnvironmentDecision,
  value: string,
  called: readonly ManagedStore[],
): VariableOutcome {
  for (const store of called) {
    const outcome =
      value && mentions(value, store.hosts)
        ? referenceOutcome(e, value, store)
        : (credentialOutcome(e, value, store) ??
          nameOutcome(e, value, store) ??
          standInOutcome(e, value, store));
    if (outcome) return outcome;
  }
  return { decision: e };
}

/** The variable kept as it is (or dropped), with why. */
function keep(
  e: EnvironmentDecision,
  reason: string,
  extra: Partial<EnvironmentDecision> = {},
): VariableOutcome {
  return { decision: { ...e, ...extra, reason } };
}

/** The variable set, in the cloud, from what the managed service gives. */
function toStore(
  e: EnvironmentDecision,
  store: ManagedStore,
  cloud: ConnectionValue,
  reason: string,
  warning?: VariableOutcome['warning'],
): VariableOutcome {
  return {
    decision: { ...e, handling: 'datastore' as const, literal: false, datastore: store.name, cloud, reason },
    ...(warning ? { warning } : {}),
  };
}

/** A value that names the datastore's host (a URL, a host name). */
function referenceOutcome(e: EnvironmentDecision, value: string, store: ManagedStore): VariableOutcome {
  const engine = store.intent.engine;
  const service = store.intent.managedBy!;
  if (isStandIn(engine))
    return keep(
      e,
      `points at the local stand-in ${store.name}; not set in the cloud, so the AWS SDK reaches ${service} with the task role`,
      { handling: 'dropped', literal: false },
    );
  if (hasCredentialUrl(value)) {
    const variables = conventionalVariables(store)
      .map((v) => v.name)
      .join(', ');
    return {
      decision: {
        ...e,
        reason: `a URL with the password of ${store.name}: ECS sets a variable from plain text or whole from a secret, so it cannot assemble this URL with ${service}'s generated password`,
      },
      warning: {
        message: `${e.name} embeds a password in a URL to ${store.name}, which ECS cannot assemble from ${service}'s generated password`,
        hint: `build the URL in the app from the variables it gets (${variables}), or put the full URL into the Secrets Manager secret for ${e.name} yourself after deploying`,
      },
    };
  }
  return toStore(
    e,
    store,
    rewriteHosts(value, store.hosts, engine),
    `refers to ${store.name}: its host becomes the ${service} endpoint`,
    urlWarning(e.name, value, store),
  );
}

/**
 * The datastore's local password or user. Only a variable that is itself a credential gets the
 * generated password: `DB_USER=postgres` is a user name even when the local password is "postgres" too.
 */
function credentialOutcome(
  e: EnvironmentDecision,
  value: string,
  store: ManagedStore,
): VariableOutcome | undefined {
  const service = store.intent.managedBy!;
  if (
    !isStandIn(store.intent.engine) &&
    value &&
    e.handling === 'secret' &&
    store.local.passwords.includes(value)
  )
    return toStore(
      e,
      store,
      [{ field: 'password' }],
      `the password of ${store.name}: the generated password of ${service} (Secrets Manager)`,
    );
  const user = store.intent.credentials?.username;
  if (user && USER_VARIABLE.test(e.name) && store.local.users.includes(value) && value !== user)
    return toStore(e, store, [user], `a user of ${store.name}: ${service}'s user is ${user}`);
  return undefined;
}

/** A table or bucket name the datastore has: its cloud name. */
function nameOutcome(
  e: EnvironmentDecision,
  value: string,
  store: ManagedStore,
): VariableOutcome | undefined {
  const table = store.intent.tables?.find((t) => t.name === value);
  if (table)
    return toStore(e, store, [{ field: 'table', name: table.name }], `table ${table.name}: its cloud name`);
  const bucket = store.intent.buckets?.find((b) => b === value);
  if (bucket)
    return toStore(e, store, [{ field: 'bucket', name: bucket }], `bucket ${bucket}: its cloud name`);
  return undefined;
}

/** A local stand-in's static keys (dropped: the task role reaches the service) and region. */
function standInOutcome(
  e: EnvironmentDecision,
  value: string,
  store: ManagedStore,
): VariableOutcome | undefined {
  if (!isStandIn(store.intent.engine)) return undefined;
  const service = store.intent.managedBy!;
  if (AWS_STATIC_CREDENTIALS.has(e.name) || (value && store.local.accessKeys.includes(value)))
    return keep(
      e,
      `a static key for the local stand-in ${store.name}; not set in the cloud, where the task role's credentials reach ${service}`,
      { handling: 'dropped', literal: false },
    );
  if (AWS_REGION_VARIABLES.has(e.name))
    return toStore(
      e,
      store,
      [{ field: 'region' }],
      `the region of the local stand-in ${store.name}: the stack's region in the cloud`,
    );
  return undefined;
}

/** A datastore URL without the credentials the managed service requires: say what to change. */
function urlWarning(name: string, value: string, store: ManagedStore): VariableOutcome['warning'] {
  return MANAGED_ENGINES[store.intent.engine].urlWarning?.(name, value, store.intent.managedBy!);
}
