import type { SourceLocation } from './types.js';
import type { DocPath, YamlSource } from './yaml-source.js';

/**
 * Where each part of a merged compose document was written. Merging several files, `extends`,
 * `include` and the canonical rewriting (a port string becomes a mapping, a list becomes a map)
 * all build new objects; they record here which file and path each child came from, so that an
 * error found after merging still names the file, line and column the user wrote.
 */
export interface Origin {
  source: YamlSource;
  path: DocPath;
}

const own = new WeakMap<object, Origin>();
const children = new WeakMap<object, Map<string | number, Origin>>();

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;

/** Record that `value` (and everything in it) was written at `path` of `source`. */
export function stamp(value: unknown, source: YamlSource, path: DocPath = []): void {
  if (!isContainer(value)) return;
  own.set(value, { source, path });
  if (Array.isArray(value)) value.forEach((v, i) => stamp(v, source, [...path, i]));
  else for (const [k, v] of Object.entries(value)) stamp(v, source, [...path, k]);
}

/** Where `container[key]` was written. */
export function originOf(container: unknown, key?: string | number): Origin | undefined {
  if (!isContainer(container)) return undefined;
  if (key === undefined) return own.get(container);
  const child = children.get(container)?.get(key);
  if (child) return child;
  const value = (container as Record<string | number, unknown>)[key];
  if (isContainer(value) && own.has(value)) return own.get(value);
  const parent = own.get(container);
  return parent && { source: parent.source, path: [...parent.path, key] };
}

/** Record where `container[key]` came from (when it was moved there from another object). */
export function setOrigin(container: object, key: string | number, origin: Origin | undefined): void {
  if (!origin) return;
  let map = children.get(container);
  if (!map) children.set(container, (map = new Map()));
  map.set(key, origin);
}

/** Give a new container the origin of what it was made from; its children point there too. */
export function madeFrom(value: unknown, origin: Origin | undefined): void {
  if (!origin || !isContainer(value)) return;
  own.set(value, origin);
  const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  for (const k of keys) {
    const child = (value as Record<string | number, unknown>)[k];
    if (isContainer(child) && !own.has(child)) madeFrom(child, origin);
    else if (!children.get(value)?.has(k)) setOrigin(value, k, origin);
  }
}

/** Copy the per-key origins of `from` into `to` for every key both share. */
export function copyOrigins(from: object, to: object): void {
  const keys = Array.isArray(to) ? to.map((_, i) => i) : Object.keys(to);
  for (const k of keys) setOrigin(to, k, originOf(from, k));
  const o = own.get(from);
  if (o && !own.has(to)) own.set(to, o);
}

/**
 * The location of `path` in the merged document `root`: the deepest part of the path that has a
 * recorded origin. Returns undefined when nothing along the path was recorded.
 */
export function locateMerged(root: unknown, path: DocPath): SourceLocation | undefined {
  const written = writtenAt(root, path);
  return written && written.source.locate(written.path);
}

/** The file and path where `path` of the merged document `root` was written. */
export function writtenAt(root: unknown, path: DocPath): Origin | undefined {
  let cur: unknown = root;
  let best: Origin | undefined = originOf(root);
  let bestDepth = 0;
  for (let i = 0; i < path.length; i++) {
    if (!isContainer(cur)) break;
    const o = originOf(cur, path[i]);
    if (!o) break;
    best = o;
    bestDepth = i + 1;
    cur = (cur as Record<string | number, unknown>)[path[i]!];
  }
  if (!best) return undefined;
  // Keys below the deepest recorded origin (e.g. a key added by defaults) extend its path.
  const rest = path.slice(bestDepth);
  return { source: best.source, path: rest.length > 0 ? [...best.path, ...rest] : best.path };
}
