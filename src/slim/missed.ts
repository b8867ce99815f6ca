import { posix } from 'node:path';
import type { ImageIndex } from '../images/image-fs.js';
import type { TraceSummary } from './trace.js';

/**
 * What a failed slim image lacks, for missed.txt: paths its traced run looked up and did not find
 * (a failed open or stat) that the original has, and — because a program that finds files by
 * listing a directory (Python's importer, plugin loaders) never tries a file that is not listed —
 * files of the original in the directories the run listed that the slim image left out. A module
 * the logs name (`No module named 'x'`) narrows those down; without one, a directory missing more
 * than a few files is too broad to name them all and is left out.
 */
const BROAD = 20;

export function missedPaths(
  trace: Pick<TraceSummary, 'missing' | 'listed'>,
  index: ImageIndex,
  kept: ReadonlySet<string>,
  logs: string,
): string[] {
  const out = new Set([...trace.missing].filter((p) => index.resolve(p).real !== undefined));
  const modules = [...logs.matchAll(/No module named '([\w.]+)'/g)].map((m) => m[1]!.split('.'));
  for (const listedPath of trace.listed) {
    const dir = index.resolve(listedPath).real;
    if (!dir || /^\/(proc|sys|dev)(\/|$)/.test(dir)) continue;
    const absent = childrenOf(index, dir).filter((p) => !kept.has(p));
    const named = absent.filter((p) => modules.some((m) => namesModule(p, m)));
    for (const p of named.length > 0 || absent.length > BROAD ? named : absent) out.add(p);
  }
  return [...out].sort();
}

function childrenOf(index: ImageIndex, dir: string): string[] {
  const prefix = dir === '/' ? '/' : `${dir}/`;
  const out: string[] = [];
  for (const path of index.entries.keys())
    if (path.startsWith(prefix) && path.length > prefix.length && !path.slice(prefix.length).includes('/'))
      out.push(path);
  return out;
}

/** Whether `path` in `dir` is module `parts` (or its package): `yaml/`, `yaml.py`, `_yaml.cpython-311-x86_64-linux-gnu.so`. */
function namesModule(path: string, parts: string[]): boolean {
  const base = posix.basename(path);
  return base === parts[0] || base.split('.')[0] === parts[0];
}
