import {
  LineCounter,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  parse as parseYamlText,
  parseDocument,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import { ShipshapeError } from './errors.js';
import { readTextFile } from './text-file.js';
import type { SourceLocation } from './types.js';

export type DocPath = readonly (string | number)[];

/** A parsed YAML file that can answer "where was this path written?". */
export interface YamlSource {
  file: string;
  value: unknown;
  locate(path: DocPath): SourceLocation;
  /** Location of a mapping key itself (for unknown-key warnings); falls back to `locate`. */
  locateKey(path: DocPath): SourceLocation;
  /** Paths tagged `!reset` (removed from `value`; they clear what earlier files set). */
  resets: DocPath[];
  /** Paths tagged `!override` (their value replaces, instead of merging with, earlier files'). */
  overrides: DocPath[];
}

/** Render `['services','api','ports',0]` as `services.api.ports[0]`. */
export function formatPath(path: DocPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function readYamlFile(file: string, what = 'compose file'): YamlSource {
  return parseYaml(readTextFile(file, { what }), file);
}

/** Errors whose reported range starts on the line above the real fault (an over-indented key). */
const SPILLS_TO_NEXT_LINE = new Set(['MULTILINE_IMPLICIT_KEY']);

/**
 * Where a YAML error really is. The parser reports an over-indented `key: value` line as a
 * multi-line key that starts on the line above; the fault is the line where that range ends.
 * A position in leading blanks moves to the first character of its line.
 */
function faultOffset(errors: readonly YAMLError[], text: string): { error: YAMLError; offset: number } {
  const spill = errors.find((e) => SPILLS_TO_NEXT_LINE.has(e.code));
  const error = spill ?? errors[0]!;
  let offset = error.pos[0];
  if (spill) {
    const last = Math.max(spill.pos[0], spill.pos[1] - 1);
    if (text.lastIndexOf('\n', last) > text.lastIndexOf('\n', spill.pos[0]))
      offset = text.lastIndexOf('\n', last) + 1;
  }
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const firstChar = lineStart + (/^[ \t]*/.exec(text.slice(lineStart))?.[0].length ?? 0);
  if (offset < firstChar) offset = Math.min(firstChar, text.length);
  return { error, offset };
}

function yamlHint(code: string): string {
  if (code === 'DUPLICATE_KEY') return 'remove or rename the repeated key';
  if (code === 'TAB_AS_INDENT') return 'indent with spaces; tabs are not allowed for indentation';
  if (code === 'MISSING_CHAR' || code === 'BAD_INDENT')
    return 'check indentation against the lines above, and that every quote and bracket is closed';
  return 'check the indentation of this line against the line above, and quoting near it';
}

/** Walk as far down a path as the document goes: the deepest node (and key node) reached. */
function documentWalker(doc: Document): (path: DocPath) => { node: Node | null; key: Node | null } {
  // Each mapping's keys and each sequence's kept items, indexed on first use: a lookup by a
  // linear scan made locating every service's settings quadratic in the number of services.
  const pairsOf = new WeakMap<object, Map<string, { key: Node; value: Node | null }>>();
  const itemsOf = new WeakMap<object, Node[]>();
  const pairIn = (map: Node & { items: unknown[] }, seg: string | number) => {
    let index = pairsOf.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items)
        if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value)))
          index.set(String(p.key.value), { key: p.key as Node, value: p.value as Node | null });
      pairsOf.set(map, index);
    }
    return index.get(String(seg));
  };
  const keptIn = (seq: Node & { items: unknown[] }) => {
    let kept = itemsOf.get(seq);
    // Items tagged !reset are not in the value, so they do not count.
    if (!kept) itemsOf.set(seq, (kept = seq.items.filter((n) => (n as Node).tag !== '!reset') as Node[]));
    return kept;
  };
  return (path: DocPath): { node: Node | null; key: Node | null } => {
    let node: Node | null = doc.contents;
    let key: Node | null = null;
    for (const seg of path) {
      if (isAlias(node)) node = node.resolve(doc) ?? node;
      if (isMap(node)) {
        const pair = pairIn(node, seg);
        if (!pair) break;
        key = pair.key;
        node = pair.value ?? key;
      } else if (isSeq(node) && typeof seg === 'number') {
        const kept = keptIn(node);
        if (!kept[seg]) break;
        node = kept[seg];
        key = null;
      } else break;
    }
    return { node, key };
  };
}

export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  // `merge: true` resolves YAML merge keys (`<<: *anchor`) as the Compose Specification requires.
  // Duplicate keys are found below, in linear time: the library's own check scans every earlier
  // key of a mapping for each key, quadratic in a `services:` of thousands.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    const { error, offset } = faultOffset(doc.errors, text);
    throw new ShipshapeError(`invalid YAML: ${error.message.split('\n')[0]}`, {
      location: at(offset),
      hint: yamlHint(error.code),
    });
  }
  const duplicate = firstDuplicateKey(doc.contents);
  if (duplicate !== undefined) {
    throw new ShipshapeError('invalid YAML: Map keys must be unique', {
      location: at(duplicate),
      hint: yamlHint('DUPLICATE_KEY'),
    });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 10_000 });
  } catch (e) {
    throw new ShipshapeError(`invalid YAML: ${(e as Error).message}`, { location: at(0) });
  }
  const tags = collectTags(doc);
  value = applyTags(value, tags);

  const walk = documentWalker(doc);
  const locNode = (n: Node | null): SourceLocation => (n?.range ? at(n.range[0]) : at(0));
  return {
    file,
    value,
    locate: (path) => locNode(walk(path).node),
    locateKey: (path) => {
      const { node, key } = walk(path);
      return locNode(key ?? node);
    },
    resets: tags.resets,
    overrides: tags.overrides,
  };
}

/**
 * The offset of the first mapping key written twice in one mapping (by scalar value, as the YAML
 * library compares them), or undefined. One pass with a set per mapping.
 */
function firstDuplicateKey(root: unknown): number | undefined {
  let first: number | undefined;
  const seen = new Set<object>();
  const visit = (node: unknown): void => {
    if (!node || typeof node !== 'object' || seen.has(node) || isAlias(node)) return;
    seen.add(node);
    if (isMap(node)) {
      const keys = new Set<unknown>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          const value = pair.key.value;
          const start = pair.key.range?.[0];
          if (keys.has(value) && start !== undefined && (first === undefined || start < first)) first = start;
          keys.add(value);
        }
        visit(pair.key);
        visit(pair.value);
      }
    } else if (isSeq(node)) for (const item of node.items) visit(item);
  };
  visit(root);
  return first;
}

function hasPath(doc: unknown, path: DocPath): boolean {
  let cur = doc;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object' || !(seg in (cur as object))) return false;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return true;
}

/**
 * "Where was this path written?" across files merged in order: the last file that writes it;
 * else (inherited through `extends`, or a default) the deepest ancestor some file writes; else
 * the first file's first line.
 */
export function mergedLocator(sources: readonly YamlSource[]): (path: DocPath) => SourceLocation {
  return (path) => {
    for (let i = sources.length - 1; i >= 0; i--)
      if (hasPath(sources[i]!.value, path)) return sources[i]!.locate(path);
    for (let n = path.length - 1; n >= 0; n--) {
      for (let i = sources.length - 1; i >= 0; i--) {
        if (hasPath(sources[i]!.value, path.slice(0, n))) return sources[i]!.locate(path.slice(0, n));
      }
    }
    return { file: sources[0]?.file ?? '', line: 1, column: 1 };
  };
}

interface Tags {
  resets: DocPath[];
  overrides: DocPath[];
  /** `!override` on a plain scalar: the YAML library reads an unknown tag as a string; re-read it. */
  scalars: { path: DocPath; value: unknown }[];
}

const isMergeKey = (key: unknown) => isScalar(key) && (key.value === '<<' || typeof key.value === 'symbol');

/**
 * Find `!reset` and `!override` tags, also behind aliases and merge keys (compose-go's
 * ResetProcessor does the same: a tag on an anchored node counts wherever it is used).
 */
function collectTags(doc: Document): Tags {
  const tags: Tags = { resets: [], overrides: [], scalars: [] };
  const stack = new Set<Node>();
  const visit = (raw: unknown, path: DocPath): void => {
    let node = raw as Node | null;
    if (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
    if (!node || stack.has(node)) return;
    if (node.tag === '!reset') {
      tags.resets.push(path);
      return;
    }
    if (node.tag === '!override') {
      tags.overrides.push(path);
      if (isScalar(node) && node.type === 'PLAIN' && typeof node.source === 'string')
        tags.scalars.push({ path, value: parseYamlText(node.source) as unknown });
      return;
    }
    stack.add(node);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isMergeKey(pair.key)) {
          const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
          for (const s of sources) visit(s, path);
        } else if (isScalar(pair.key)) visit(pair.value, [...path, String(pair.key.value)]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => visit(item, [...path, i]));
    }
    stack.delete(node);
  };
  visit(doc.contents, []);
  return tags;
}

/** Remove `!reset` values from the parsed document and give `!override` scalars their YAML type. */
function applyTags(value: unknown, tags: Tags): unknown {
  const parentOf = (path: DocPath): Record<string | number, unknown> | undefined => {
    let cur: unknown = value;
    for (const seg of path.slice(0, -1)) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<string | number, unknown>)[seg];
    }
    return cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>) : undefined;
  };
  for (const { path, value: v } of tags.scalars) {
    const parent = parentOf(path);
    if (parent) parent[path[path.length - 1]!] = v;
  }
  if (tags.resets.some((p) => p.length === 0)) return {};
  const dropped = new Set<unknown>();
  for (const path of tags.resets) {
    const parent = parentOf(path);
    const last = path[path.length - 1]!;
    if (Array.isArray(parent) && typeof last === 'number') {
      dropped.add(parent);
      parent[last] = RESET_ITEM;
    } else if (parent) delete parent[last];
  }
  // Sequence items tagged !reset are left out of their list.
  const clean = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const items = dropped.has(v) ? v.filter((x) => x !== RESET_ITEM) : v;
      return items.map(clean);
    }
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = clean(x);
    }
    return v;
  };
  return dropped.size > 0 ? clean(value) : value;
}

const RESET_ITEM = Symbol('reset');
