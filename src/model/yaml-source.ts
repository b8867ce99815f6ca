import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { ShipshapeError } from './errors.js';
import type { SourceLocation } from './types.js';

export type DocPath = readonly (string | number)[];

/** A parsed YAML file that can answer "where was this path written?". */
export interface YamlSource {
  file: string;
  value: unknown;
  locate(path: DocPath): SourceLocation;
  /** Location of a mapping key itself (for unknown-key warnings); falls back to `locate`. */
  locateKey(path: DocPath): SourceLocation;
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

export function readYamlFile(file: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ShipshapeError(
      code === 'ENOENT' ? 'compose file not found' : `cannot read compose file (${code})`,
      {
        location: { file, line: 0, column: 0 },
        hint: 'pass an existing file with -f, or run shipshape in the directory holding compose.yaml',
      },
    );
  }
  return parseYaml(text, file);
}

export function parseYaml(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  // `merge: true` resolves YAML merge keys (`<<: *anchor`) as the Compose Specification requires.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const firstError = doc.errors[0];
  if (firstError) {
    throw new ShipshapeError(`invalid YAML: ${firstError.message.split('\n')[0]}`, {
      location: at(firstError.pos[0]),
      hint:
        firstError.code === 'DUPLICATE_KEY'
          ? 'remove or rename the repeated key'
          : 'check indentation and quoting near this line (tabs are not allowed for indentation)',
    });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 10_000 });
  } catch (e) {
    throw new ShipshapeError(`invalid YAML: ${(e as Error).message}`, { location: at(0) });
  }

  /** Walk as far down `path` as the document goes; return the deepest node (and key node) reached. */
  const walk = (path: DocPath): { node: Node | null; key: Node | null } => {
    let node: Node | null = doc.contents;
    let key: Node | null = null;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
        if (!pair) break;
        key = pair.key as Node;
        node = (pair.value as Node | null) ?? key;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
        node = node.items[seg] as Node;
        key = null;
      } else break;
    }
    return { node, key };
  };
  const locNode = (n: Node | null): SourceLocation => (n?.range ? at(n.range[0]) : at(0));
  return {
    file,
    value,
    locate: (path) => locNode(walk(path).node),
    locateKey: (path) => {
      const { node, key } = walk(path);
      return locNode(key ?? node);
    },
  };
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
