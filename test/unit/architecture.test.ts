/**
 * The structure ARCHITECTURE.md describes, checked on the code itself with the TypeScript parser
 * (static and dynamic imports, every function-like node): the layers and what each may import,
 * no import cycle between files, no function longer than 80 lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Lowest first; a folder may import its own layer and those below (ARCHITECTURE.md). */
export const LAYERS: readonly (readonly string[])[] = [
  ['support'],
  ['model'],
  ['runtime', 'images'],
  ['engine'],
  ['infra'],
  ['policy'],
  ['local', 'slim', 'sbom'],
  ['aws'],
  ['deploy'],
  ['cloud', 'report', 'ci', 'doctor'],
  ['cli', 'index.ts'],
];

const MAX_FUNCTION_LINES = 80;

function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const parsed = new Map(
  sourceFiles().map((f) => [
    f,
    ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true),
  ]),
);

/** The project files a file imports (import, export … from, import()). */
function importsOf(file: string): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node) => {
    const spec =
      (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier
        ? n.moduleSpecifier
        : ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword
          ? n.arguments[0]
          : undefined;
    if (spec && ts.isStringLiteral(spec) && spec.text.startsWith('.'))
      out.push(resolve(dirname(file), spec.text.replace(/\.js$/, '.ts')));
    ts.forEachChild(n, visit);
  };
  visit(parsed.get(file)!);
  return out.filter((f) => parsed.has(f));
}

const folderOf = (file: string) => relative(SRC, file).split('/')[0]!;
const layerOf = (file: string) => LAYERS.findIndex((l) => l.includes(folderOf(file)));

describe('architecture', () => {
  it('every source folder has a layer', () => {
    const folders = new Set([...parsed.keys()].map(folderOf));
    expect([...folders].filter((f) => !LAYERS.flat().includes(f))).toEqual([]);
  });

  it('no file imports from a higher layer', () => {
    const upward: string[] = [];
    for (const file of parsed.keys())
      for (const target of importsOf(file))
        if (layerOf(target) > layerOf(file))
          upward.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
    expect(upward).toEqual([]);
  });

  it('no import cycle between files', () => {
    // Tarjan's strongly connected components; a component of more than one file is a cycle.
    const graph = new Map([...parsed.keys()].map((f) => [f, importsOf(f)]));
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const cycles: string[][] = [];
    let next = 0;
    const connect = (v: string) => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      for (const w of graph.get(v)!) {
        if (!index.has(w)) {
          connect(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) !== index.get(v)) return;
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        component.push(relative(SRC, w));
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    };
    for (const v of graph.keys()) if (!index.has(v)) connect(v);
    expect(cycles).toEqual([]);
  });

  it(`no function is longer than ${MAX_FUNCTION_LINES} lines`, () => {
    const long: string[] = [];
    for (const [file, sf] of parsed) {
      const visit = (n: ts.Node) => {
        if (ts.isFunctionLike(n) && 'body' in n && n.body) {
          const start = sf.getLineAndCharacterOfPosition(n.getStart()).line;
          const end = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
          if (end - start + 1 > MAX_FUNCTION_LINES)
            long.push(`${relative(SRC, file)}:${start + 1} (${end - start + 1} lines)`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(long).toEqual([]);
  });
});
