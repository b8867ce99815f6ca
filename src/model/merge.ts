/**
 * Merging canonical compose documents (see canonical.ts), per the Compose Specification's
 * "Merge and override" (13-merge.md), with compose-go's `override` package as the tie-breaker:
 *
 * - mappings merge key by key; a later scalar replaces; a later `null` keeps the earlier value;
 * - `command`, `entrypoint` and `healthcheck.test` are replaced (even by `null`);
 * - sequences are appended, then made unique where the specification names a unique key:
 *   ports by {host ip, target, published, protocol}, volumes, secrets and configs by target,
 *   devices by target, env_file by path, `cap_add`, `cap_drop`, `profiles`, `expose`, `dns`,
 *   `tmpfs`, ... by value (the part before `=`). A later entry with the same key replaces the
 *   earlier one in place;
 * - `logging` merges only when both name the same driver (or one names none);
 * - `!reset` and `!override` paths are removed from the earlier document before merging.
 *
 * Written by hand: no JS library implements these compose-specific rules.
 */
import { copyOrigins, originOf, setOrigin, type Origin } from './origin.js';
import type { DocPath } from './yaml-source.js';

export type Obj = Record<string, unknown>;

/** A YAML mapping (not a sequence, not null). */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

type Rule = 'replace' | 'logging' | 'unique-values' | 'replace-each';

/** Special rules by path; `*` matches a service (or resource) name. */
const RULES: [string, Rule][] = [
  ['services.*.command', 'replace'],
  ['services.*.entrypoint', 'replace'],
  ['services.*.healthcheck.test', 'replace'],
  ['services.*.logging', 'logging'],
  ['services.*.extra_hosts', 'unique-values'],
  ['services.*.build.extra_hosts', 'unique-values'],
  ['services.*.ulimits', 'replace-each'],
  // KEY=VALUE maps: a later key wins even when its value is null (a bare `FOO` or `FOO: !reset`).
  ['services.*.environment', 'replace-each'],
  ['services.*.labels', 'replace-each'],
  ['services.*.annotations', 'replace-each'],
  ['services.*.sysctls', 'replace-each'],
  ['services.*.build.args', 'replace-each'],
  ['services.*.build.labels', 'replace-each'],
  ['services.*.build.additional_contexts', 'replace-each'],
  ['services.*.deploy.labels', 'replace-each'],
];

type Indexer = (item: unknown) => string;

const keyBeforeEquals: Indexer = (item) => String(item).split('=')[0]!;
const byTarget: Indexer = (item) => (isObj(item) ? String(item.target) : String(item));
const mountTarget =
  (dir: string): Indexer =>
  (item) => {
    if (!isObj(item)) return `${dir}/${String(item)}`;
    if (item.target === undefined) return `${dir}/${String(item.source)}`;
    const t = String(item.target);
    // A relative secret target is a file name under /run/secrets (05-services.md#secrets).
    return t.startsWith('/') || dir === '' ? t : `${dir}/${t}`;
  };

/** Unique key of a port mapping: {host ip, target, published, protocol} (13-merge.md). */
const portKey: Indexer = (item) => {
  if (!isObj(item)) return String(item);
  const ip = item.host_ip === undefined || item.host_ip === '' ? '0.0.0.0' : String(item.host_ip);
  return `${ip}:${String(item.published ?? '')}:${String(item.target)}/${String(item.protocol ?? 'tcp').toLowerCase()}`;
};

const UNIQUE: [string, Indexer][] = [
  ['services.*.ports', portKey],
  ['services.*.volumes', byTarget],
  ['services.*.devices', (d) => (isObj(d) ? String(d.target) : (String(d).split(':')[1] ?? String(d)))],
  ['services.*.secrets', mountTarget('/run/secrets')],
  ['services.*.configs', mountTarget('')],
  ['services.*.env_file', (e) => (isObj(e) ? String(e.path) : String(e))],
  ['services.*.cap_add', keyBeforeEquals],
  ['services.*.cap_drop', keyBeforeEquals],
  ['services.*.profiles', keyBeforeEquals],
  ['services.*.links', keyBeforeEquals],
  ['services.*.expose', (e) => String(e)],
  ['services.*.dns', keyBeforeEquals],
  ['services.*.dns_opt', keyBeforeEquals],
  ['services.*.dns_search', keyBeforeEquals],
  ['services.*.tmpfs', keyBeforeEquals],
  ['services.*.build.tags', keyBeforeEquals],
  ['services.*.build.platforms', keyBeforeEquals],
  ['services.*.networks.*.aliases', keyBeforeEquals],
  ['services.*.networks.*.link_local_ips', keyBeforeEquals],
];

function matches(pattern: string, path: DocPath): boolean {
  const parts = pattern.split('.');
  return parts.length === path.length && parts.every((p, i) => p === '*' || p === String(path[i]));
}

const ruleFor = (path: DocPath) => RULES.find(([p]) => matches(p, path))?.[1];
const indexerFor = (path: DocPath) => UNIQUE.find(([p]) => matches(p, path))?.[1];

/** Merge `override` onto `base` at `path` (both canonical; neither is modified). */
export function mergeAt(base: unknown, override: unknown, path: DocPath): unknown {
  const rule = ruleFor(path);
  if (rule === 'replace') return override;
  if (override === undefined || override === null) return base;
  if (base === undefined || base === null) return override;
  if (rule === 'logging' && isObj(base) && isObj(override)) {
    const same =
      base.driver === undefined || override.driver === undefined || base.driver === override.driver;
    return same ? mergeMappings(base, override, path) : override;
  }
  if (rule === 'replace-each' && isObj(base) && isObj(override)) {
    return mergeMappings(base, override, path, true);
  }
  if (Array.isArray(base) && Array.isArray(override)) {
    if (rule === 'unique-values') return appendSequences(base, override, (v) => JSON.stringify(v));
    return appendSequences(base, override, indexerFor(path));
  }
  if (isObj(base) && isObj(override)) return mergeMappings(base, override, path);
  return override;
}

function mergeMappings(base: Obj, override: Obj, path: DocPath, replaceEach = false): Obj {
  const out: Obj = {};
  copyOrigins(override, out);
  for (const [k, v] of Object.entries(base)) {
    out[k] = v;
    setOrigin(out, k, originOf(base, k));
  }
  for (const [k, v] of Object.entries(override)) {
    const merged = replaceEach || !(k in base) ? v : mergeAt(base[k], v, [...path, k]);
    out[k] = merged;
    // The key is located where the value that won was written.
    setOrigin(out, k, merged === base[k] ? originOf(base, k) : originOf(override, k));
  }
  return out;
}

/** `base` then `override`; with an indexer, a later item with a known key replaces the earlier. */
function appendSequences(base: unknown[], override: unknown[], indexer?: Indexer): unknown[] {
  const items: { value: unknown; origin: Origin | undefined }[] = [
    ...base.map((value, i) => ({ value, origin: originOf(base, i) })),
    ...override.map((value, i) => ({ value, origin: originOf(override, i) })),
  ];
  return uniqueItems(items, indexer);
}

function uniqueItems(items: { value: unknown; origin: Origin | undefined }[], indexer?: Indexer): unknown[] {
  const kept: typeof items = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const key = indexer?.(item.value);
    const at = key === undefined ? undefined : seen.get(key);
    if (at !== undefined) kept[at] = item;
    else {
      if (key !== undefined) seen.set(key, kept.length);
      kept.push(item);
    }
  }
  const out = kept.map((k) => k.value);
  kept.forEach((k, i) => setOrigin(out, i, k.origin));
  return out;
}

/** Make sequences of one document unique (compose-go `EnforceUnicity`), e.g. a port written twice. */
export function enforceUnicity(doc: unknown, path: DocPath = []): unknown {
  if (Array.isArray(doc)) {
    const indexer = indexerFor(path);
    if (!indexer) return doc;
    const out = uniqueItems(
      doc.map((value, i) => ({ value, origin: originOf(doc, i) })),
      indexer,
    );
    return out;
  }
  if (isObj(doc)) {
    for (const [k, v] of Object.entries(doc)) {
      const origin = originOf(doc, k);
      const u = enforceUnicity(v, [...path, k]);
      if (u !== v) {
        doc[k] = u;
        setOrigin(doc, k, origin);
      }
    }
  }
  return doc;
}

/**
 * Remove every `!reset` / `!override` path of a later file from the earlier document `doc`
 * (compose-go `ResetProcessor.Apply`: only mapping keys; items of a sequence are not removed).
 */
export function applyResets(doc: unknown, paths: readonly DocPath[]): void {
  for (const path of paths) {
    let cur: unknown = doc;
    for (let i = 0; i < path.length - 1 && isObj(cur); i++) cur = cur[String(path[i])];
    const last = path[path.length - 1];
    if (isObj(cur) && last !== undefined && typeof last === 'string') delete cur[last];
  }
}

/** Merge two documents (files merged in order), then make their sequences unique. */
export function mergeDocuments(base: Obj, override: Obj): Obj {
  return enforceUnicity(mergeAt(base, override, [])) as Obj;
}

/** A deep copy that keeps the recorded origins (values shared through YAML anchors are split). */
export function cloneWithOrigins<T>(value: T): T {
  if (Array.isArray(value)) {
    const out = value.map((v) => cloneWithOrigins(v));
    copyOrigins(value, out);
    return out as T;
  }
  if (isObj(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) out[k] = cloneWithOrigins(v);
    copyOrigins(value, out);
    return out as T;
  }
  return value;
}
