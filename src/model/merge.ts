/**
 * Merging compose documents, per the Compose Specification's "Merge and override" rules:
 * mappings merge recursively; `command`, `entrypoint` and `healthcheck.test` are replaced;
 * key/value sequences (environment, labels, ...) merge by key; `ports`, `volumes`, `secrets`
 * merge by their identity; other sequences append without duplicates.
 *
 * Written by hand: no JS library implements these compose-specific rules.
 */

export type Obj = Record<string, unknown>;

/** A YAML mapping (not a sequence, not null). */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sequences whose later value replaces the earlier one. */
const REPLACED = new Set(['command', 'entrypoint', 'test', 'dns', 'dns_search', 'tmpfs']);
/** Keys whose list-or-dict value merges by key (`KEY=value` lists become maps). */
const KEYED = new Set([
  'environment',
  'labels',
  'args',
  'sysctls',
  'extra_hosts',
  'annotations',
  'driver_opts',
]);
/** Keys whose list-or-dict value names other objects (`[a, b]` becomes `{a: {}, b: {}}`). */
const NAMED = new Set(['depends_on', 'networks']);

/** `["A=1", "B"]` → `{A: "1", B: null}`; a mapping is returned as is. */
export function listOrDictToMap(v: unknown, separator = '='): Obj {
  if (isObj(v)) return v;
  const out: Obj = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf(separator);
      if (i < 0) out[s] = null;
      else out[s.slice(0, i)] = s.slice(i + separator.length);
    }
  }
  return out;
}

function namedToMap(v: unknown): Obj {
  if (isObj(v)) return v;
  const out: Obj = {};
  if (Array.isArray(v)) for (const item of v) out[String(item)] = null;
  return out;
}

function identity(key: string, item: unknown): string {
  if (key === 'ports') {
    if (isObj(item))
      return `${item.host_ip ?? ''}:${item.published ?? ''}:${item.target}/${item.protocol ?? 'tcp'}`;
    return String(item);
  }
  if (key === 'volumes') {
    if (isObj(item)) return String(item.target);
    const parts = String(item).split(':');
    return parts.length > 1 ? (parts[1] ?? '') : (parts[0] ?? '');
  }
  if (key === 'secrets' || key === 'configs') {
    if (isObj(item)) return String(item.target ?? item.source);
    return String(item);
  }
  return JSON.stringify(item);
}

function mergeSequence(key: string, base: unknown[], override: unknown[]): unknown[] {
  const byId = new Map<string, unknown>();
  for (const item of base) byId.set(identity(key, item), item);
  for (const item of override) byId.set(identity(key, item), item);
  return [...byId.values()];
}

/** Merge `override` onto `base` under parent key `key` (undefined at the root). */
export function mergeCompose(base: unknown, override: unknown, key?: string): unknown {
  if (override === undefined) return base;
  if (base === undefined || base === null) return override;
  if (key !== undefined && REPLACED.has(key)) return override;
  if (key !== undefined && KEYED.has(key) && (Array.isArray(base) || isObj(base))) {
    return { ...listOrDictToMap(base), ...listOrDictToMap(override) };
  }
  if (key !== undefined && NAMED.has(key) && (Array.isArray(base) || isObj(base))) {
    const b = namedToMap(base);
    const o = namedToMap(override);
    const out: Obj = { ...b };
    for (const [k, v] of Object.entries(o))
      out[k] = isObj(b[k]) && isObj(v) ? { ...b[k], ...v } : (v ?? b[k] ?? null);
    return out;
  }
  if (Array.isArray(base) && Array.isArray(override)) return mergeSequence(key ?? '', base, override);
  if (isObj(base) && isObj(override)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(override)) out[k] = mergeCompose(base[k], v, k);
    return out;
  }
  return override;
}
