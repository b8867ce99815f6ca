import { dirname, resolve } from 'node:path';
import { isObj, listOrDictToMap } from './merge.js';

/** A compose file as written, before interpolation. */
export interface RawDocument {
  file: string;
  value: unknown;
}

/** `$` other than the `$$` escape starts an interpolation. */
const INTERPOLATED = /(^|[^$])(\$\$)*\$(?!\$)/;

/**
 * Whether a service's environment variable is written literally in a compose file (a credential
 * there is a finding) rather than interpolated from `.env`, the shell, or read from an env_file
 * (configuration kept outside the file). The last file in merge order that writes the variable
 * decides; `extends` is followed to the file and service it names.
 */
export function isLiteralEnvironmentValue(
  docs: readonly RawDocument[],
  service: string,
  variable: string,
  topLevel = docs.length,
): boolean {
  const byFile = new Map(docs.map((d) => [d.file, d]));
  const visit = (doc: RawDocument, name: string, depth: number): boolean | undefined => {
    const svc = isObj(doc.value) && isObj(doc.value.services) ? doc.value.services[name] : undefined;
    if (!isObj(svc) || depth > 20) return undefined;
    const env = listOrDictToMap(svc.environment);
    if (variable in env) {
      const raw = env[variable];
      return raw !== null && raw !== undefined && !INTERPOLATED.test(String(raw));
    }
    if (svc.extends === undefined) return undefined;
    const ext =
      typeof svc.extends === 'string' ? { service: svc.extends } : isObj(svc.extends) ? svc.extends : {};
    const base = typeof ext.file === 'string' ? byFile.get(resolve(dirname(doc.file), ext.file)) : doc;
    return base ? visit(base, String(ext.service), depth + 1) : undefined;
  };
  for (let i = Math.min(topLevel, docs.length) - 1; i >= 0; i--) {
    const found = visit(docs[i]!, service, 0);
    if (found !== undefined) return found;
  }
  return false;
}
