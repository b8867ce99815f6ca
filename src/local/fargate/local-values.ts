import { readFileSync } from 'node:fs';
import { ShipshapeError } from '../../model/errors.js';
import type { AppModel, ServiceModel } from '../../model/types.js';
import { serviceOfPath } from './task-definitions.js';

/**
 * What the cloud resolves at run time, resolved to the local stand-ins instead: a managed
 * datastore's endpoint is its stand-in's service name (reached through the local gateway, as
 * Service Connect names are), Secrets Manager values are the local values compose already has
 * (a compose secret's file, a variable's value in the compose file, the stand-in's own password),
 * the region is the app's. Anything else is a clear error naming the variable: `up --fargate`
 * never guesses a value.
 */
export interface LocalValues {
  /** A plain variable's value (a string, or an intrinsic function over the stacks' resources). */
  value(value: unknown, where: string): string;
  /** A secret variable's value, from its `ValueFrom`. */
  secret(valueFrom: unknown, where: string): string;
}

interface Resource {
  Type: string;
  Metadata?: Record<string, unknown>;
}

export function localValues(
  app: AppModel,
  templates: readonly { Resources?: Record<string, Resource> }[],
): LocalValues {
  const names = new Set(app.services.map((s) => s.name));
  const paths = new Map<string, string>();
  for (const t of templates)
    for (const [id, r] of Object.entries(t.Resources ?? {}))
      paths.set(id, String(r.Metadata?.['aws:cdk:path'] ?? ''));
  const serviceOf = (id: string) => app.services.find((s) => s.name === serviceOfPath(paths.get(id), names));
  const fail = (where: string, what: string) =>
    new ShipshapeError(`up --fargate cannot give ${where} a local value: ${what}`, {
      hint: 'run it with `shipshape up` (without --fargate), which uses the compose values as written',
    });
  const value = (v: unknown, where: string): string => {
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    const o = (v ?? {}) as Record<string, unknown>;
    if (o.Ref === 'AWS::Region') return app.x.aws.region;
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => value(p, where)).join(sep);
    }
    if (Array.isArray(o['Fn::GetAtt'])) {
      const [id, attribute] = o['Fn::GetAtt'] as [string, string];
      const store = serviceOf(id);
      if (store?.intent.placement === 'managed' && /end-?point(\.address)?$/i.test(attribute))
        return store.name;
      if (store?.intent.placement === 'managed' && /end-?point\.port$/i.test(attribute))
        return String(store.intent.datastore?.port ?? '');
      throw fail(where, `${attribute} of ${paths.get(id) ?? id}`);
    }
    throw fail(where, JSON.stringify(v).slice(0, 120));
  };
  const secret = (valueFrom: unknown, where: string): string => {
    const id = referencedResource(valueFrom);
    const path = id ? (paths.get(id) ?? '') : '';
    const composeSecret = /\/Secret-([^/]+)\//.exec(path)?.[1];
    if (composeSecret) return secretFile(app, composeSecret, where);
    const owner = id ? serviceOf(id) : undefined;
    const envName = /\/Service\/Env([^/]+)\//.exec(path)?.[1];
    if (owner && envName && owner.environment[envName] !== undefined) return owner.environment[envName]!;
    if (owner?.intent.placement === 'managed') return standInPassword(app, owner, where);
    throw fail(where, `the secret ${path || JSON.stringify(valueFrom).slice(0, 120)}`);
  };
  return { value, secret };
}

/** The resource a `ValueFrom` names: `{Ref}` or `Fn::Join` of `{Ref}` and a JSON-key suffix. */
function referencedResource(v: unknown): string | undefined {
  const o = (v ?? {}) as Record<string, unknown>;
  if (typeof o.Ref === 'string') return o.Ref;
  if (Array.isArray(o['Fn::Join'])) {
    for (const p of (o['Fn::Join'] as [string, unknown[]])[1]) {
      const id = referencedResource(p);
      if (id) return id;
    }
  }
  return undefined;
}

function secretFile(app: AppModel, name: string, where: string): string {
  const file = app.secrets.find((s) => s.name === name)?.file;
  if (!file)
    throw new ShipshapeError(
      `up --fargate cannot give ${where} compose secret "${name}": it is not file-based`,
      {
        hint: 'declare it with `file:` for local runs',
      },
    );
  return readFileSync(file, 'utf8');
}

/**
 * The password a managed datastore's stand-in runs with, as its compose file sets it: a
 * `*_PASSWORD` variable, a `*_PASSWORD_FILE` pointing at a compose secret, or `--requirepass`.
 */
function standInPassword(app: AppModel, store: ServiceModel, where: string): string {
  const env = store.environment;
  for (const [k, v] of Object.entries(env)) {
    if (/_PASSWORD_FILE$/.test(k) && !/ROOT/.test(k)) {
      const secret = store.secrets.find((x) => x.target === v);
      if (secret) return secretFile(app, secret.source, where).trim();
    }
  }
  const direct = Object.entries(env).find(([k]) => /(^|_)PASSWORD$/.test(k) && !/ROOT/.test(k));
  if (direct) return direct[1];
  const i = store.command?.indexOf('--requirepass') ?? -1;
  if (i >= 0 && store.command?.[i + 1]) return store.command[i + 1]!;
  throw new ShipshapeError(
    `up --fargate cannot find the password ${store.name} runs with locally (for ${where})`,
    {
      location: store.location,
      hint: `set it in ${store.name}'s compose environment (e.g. its image's *_PASSWORD variable)`,
    },
  );
}
