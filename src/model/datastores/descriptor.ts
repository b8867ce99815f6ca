import type {
  ConnectionValue,
  ConnectionVariable,
  DatastoreIntent,
  DatastoreKind,
  ManagedEngine,
} from '../types.js';

/**
 * Everything shipshape knows about one managed AWS service that replaces a compose datastore, in
 * one file per engine (this folder): which compose datastores it replaces, the versions it offers,
 * how callers reach it (port or AWS API actions), the variables of its ecosystem callers get, and
 * how its official image configures an account. A new managed datastore is a file here, its entry
 * in index.ts, and its construct in src/infra/datastores/.
 */
export interface ManagedEngineDescriptor {
  readonly engine: ManagedEngine;
  /** The AWS service's name, as decisions print it. */
  readonly service: string;
  /** The compose datastore kinds (catalog.ts) it replaces. */
  readonly replaces: readonly DatastoreKind[];
  /** The versions it offers, oldest first (checked against aws-cdk-lib in the tests). */
  readonly versions: readonly string[];
  /**
   * How the image version picks a managed version: `major` — the newest of the same major (the
   * image's `major.minor` when offered, else the next one up within the major); `at-least` — the
   * oldest that is at least the image's version (API compatibility, DocumentDB).
   */
  readonly match: 'major' | 'at-least';
  /** The port callers reach it on (network engines), the engine's default as in compose. */
  readonly port?: number;
  /**
   * Reached through the AWS API, not the network: the local image is a stand-in (DynamoDB Local,
   * MinIO), its endpoint and static keys are dropped in the cloud, and the task role gets these
   * data-plane actions on the store's own resources.
   */
  readonly standIn?: {
    readonly dataActions: readonly string[];
    /** Variables of the stand-in that hold its local access keys. */
    readonly accessKeyVariables: readonly string[];
  };
  /** Which settings of the official image configure its account (the `*_FILE` twins are read too). */
  readonly account?: {
    readonly users: readonly string[];
    readonly defaultUser: string;
    readonly databases: readonly string[];
    readonly passwords: readonly string[];
    /** Users the image always has besides the configured one (`root`). */
    readonly builtInUsers?: readonly string[];
  };
  /** The variables its ecosystem expects, given the decided store (docs/infrastructure.md). */
  variables(intent: DatastoreIntent & { engine: ManagedEngine }): ConnectionVariable[];
  /** A caller's URL respelled for the managed service (TLS): `redis://` → `rediss://`. */
  rewriteUrl?(text: string): string;
  /** What a caller's URL lacks that the managed service requires, when it does. */
  urlWarning?(
    name: string,
    value: string,
    service: string,
  ): { message: string; hint: string; unlessPassword?: boolean } | undefined;
}

/** A variable, when its value is known. */
export function variable(
  name: string,
  value: ConnectionValue | string | undefined,
  reason: string,
): ConnectionVariable[] {
  return value === undefined ? [] : [{ name, value: typeof value === 'string' ? [value] : value, reason }];
}

export const HOST: ConnectionValue = [{ field: 'host' }];
export const PASSWORD: ConnectionValue = [{ field: 'password' }];

/** A name as an environment variable suffix: `user-events` → `USER_EVENTS`. */
export const envName = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
