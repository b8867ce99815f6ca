import { homedir } from 'node:os';
import { isAbsolute, join, posix } from 'node:path';
import { madeFrom, originOf, setOrigin, type Origin } from './origin.js';
import { isObj, type Obj } from './merge.js';
import { UnitError, parseShortPortSpec } from './units.js';

/**
 * One compose file in canonical form (compose-go's `transform.Canonical`), so that files, `extends`
 * and `include` merge item by item: short syntaxes become mappings (ports, volumes, secrets,
 * depends_on, env_file, build), `KEY=VALUE` lists become maps, and relative paths become absolute
 * against the file's working directory (the project directory for `-f` files, the extended file's
 * directory for `extends.file`, the include's project directory for `include`).
 *
 * Defaults that would hide what an override leaves unset (build context ".") are applied only
 * after merging, in the normalizer.
 */
export interface CanonicalContext {
  workingDir: string;
  /** Raised for a value compose would reject; `origin` says where it was written. */
  fail(origin: Origin | undefined, message: string, hint?: string): never;
}

/** `~` at the start of a path is the home directory (compose-go `ExpandUser`). */
export function expandHome(p: string): string {
  return p.startsWith('~') ? join(homedir(), p.slice(1)) : p;
}

/** A remote build context (URL, git reference, `service:` or `docker-image://` context) is kept. */
export function isRemoteContext(p: string): boolean {
  return (
    p.includes('://') ||
    p.startsWith('service:') ||
    ['github.com/', 'git@'].some((prefix) => p.startsWith(prefix))
  );
}

export function absPath(dir: string, p: string): string {
  const expanded = expandHome(p);
  return isAbsolute(expanded) || expanded === '' ? expanded : join(dir, expanded);
}

/** `["A=1", "B"]` → `{A: "1", B: null}`; a mapping is returned as is. */
export function listOrDictToMap(v: unknown, separator = '='): Obj {
  if (isObj(v)) return v;
  const out: Obj = {};
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const s = String(item);
      const at = s.indexOf(separator);
      const key = at < 0 ? s : s.slice(0, at);
      out[key] = at < 0 ? null : s.slice(at + separator.length);
      setOrigin(out, key, originOf(v, i));
    });
    madeFromIfNew(out, originOf(v));
  }
  return out;
}

function madeFromIfNew(value: object, origin: Origin | undefined): void {
  if (origin) madeFrom(value, origin);
}

const KEY_VALUE = ['environment', 'labels', 'annotations', 'sysctls'];

/** Rewrite every service of `doc` (in place) into canonical form. */
export function canonicalize(doc: Obj, ctx: CanonicalContext): Obj {
  const services = isObj(doc.services) ? doc.services : {};
  for (const svc of Object.values(services)) {
    if (isObj(svc)) canonicalService(svc, ctx);
  }
  for (const kind of ['secrets', 'configs']) {
    const defs = doc[kind];
    if (!isObj(defs)) continue;
    for (const def of Object.values(defs)) {
      if (isObj(def) && typeof def.file === 'string') def.file = absPath(ctx.workingDir, def.file);
    }
  }
  const volumes = doc.volumes;
  if (isObj(volumes)) {
    for (const vol of Object.values(volumes)) {
      const opts =
        isObj(vol) && vol.driver === 'local' && isObj(vol.driver_opts) ? vol.driver_opts : undefined;
      if (opts && /(^|,)r?bind(,|$)/.test(String(opts.o ?? '')) && typeof opts.device === 'string')
        opts.device = absPath(ctx.workingDir, opts.device);
    }
  }
  return doc;
}

function canonicalService(svc: Obj, ctx: CanonicalContext): void {
  for (const key of KEY_VALUE) if (Array.isArray(svc[key])) svc[key] = listOrDictToMap(svc[key]);
  if (isObj(svc.deploy) && Array.isArray(svc.deploy.labels))
    svc.deploy.labels = listOrDictToMap(svc.deploy.labels);
  if (svc.build !== undefined && svc.build !== null) svc.build = canonicalBuild(svc, ctx);
  if (svc.env_file !== undefined && svc.env_file !== null) svc.env_file = canonicalEnvFiles(svc, ctx);
  if (typeof svc.label_file === 'string') svc.label_file = [svc.label_file];
  if (Array.isArray(svc.label_file))
    svc.label_file = svc.label_file.map((f) => absPath(ctx.workingDir, String(f)));
  if (Array.isArray(svc.depends_on)) svc.depends_on = canonicalDependsOn(svc.depends_on);
  else if (isObj(svc.depends_on)) {
    for (const dep of Object.values(svc.depends_on)) {
      if (isObj(dep)) {
        dep.condition ??= 'service_started';
        dep.required ??= true;
      }
    }
  }
  if (Array.isArray(svc.networks)) svc.networks = namedList(svc.networks);
  for (const key of ['dns', 'tmpfs']) if (typeof svc[key] === 'string') svc[key] = [svc[key]];
  if (Array.isArray(svc.ports)) svc.ports = canonicalPorts(svc.ports, ctx);
  if (Array.isArray(svc.volumes)) {
    svc.volumes.forEach((v, i) => {
      (svc.volumes as unknown[])[i] = canonicalVolume(v, originOf(svc.volumes, i), ctx);
    });
  }
  for (const key of ['secrets', 'configs']) {
    const list = svc[key];
    if (!Array.isArray(list)) continue;
    list.forEach((s, i) => {
      if (typeof s !== 'string') return;
      list[i] = { source: s };
      madeFrom(list[i], originOf(list, i));
    });
  }
  if (isObj(svc.extends) && typeof svc.extends.file === 'string' && !svc.extends.file.includes('://'))
    svc.extends.file = absPath(ctx.workingDir, svc.extends.file);
  else if (typeof svc.extends === 'string') {
    const origin = originOf(svc, 'extends');
    svc.extends = { service: svc.extends };
    madeFrom(svc.extends, origin);
  }
}

function namedList(list: unknown[]): Obj {
  const out: Obj = {};
  list.forEach((n, i) => {
    out[String(n)] = null;
    setOrigin(out, String(n), originOf(list, i));
  });
  madeFromIfNew(out, originOf(list));
  return out;
}

function canonicalBuild(svc: Obj, ctx: CanonicalContext): Obj {
  const origin = originOf(svc, 'build');
  const build: Obj = isObj(svc.build) ? svc.build : { context: String(svc.build) };
  if (!isObj(svc.build)) madeFrom(build, origin);
  if (typeof build.context === 'string' && !isRemoteContext(build.context))
    build.context = absPath(ctx.workingDir, build.context);
  if (Array.isArray(build.args)) build.args = listOrDictToMap(build.args);
  if (Array.isArray(build.labels)) build.labels = listOrDictToMap(build.labels);
  if (Array.isArray(build.additional_contexts))
    build.additional_contexts = listOrDictToMap(build.additional_contexts);
  if (isObj(build.additional_contexts)) {
    for (const [k, v] of Object.entries(build.additional_contexts)) {
      if (typeof v === 'string' && !isRemoteContext(v))
        build.additional_contexts[k] = absPath(ctx.workingDir, v);
    }
  }
  return build;
}

function canonicalEnvFiles(svc: Obj, ctx: CanonicalContext): Obj[] {
  const origin = originOf(svc, 'env_file');
  const list = Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file];
  const out = list.map((entry, i) => {
    const at = Array.isArray(svc.env_file) ? originOf(svc.env_file, i) : origin;
    const e: Obj = isObj(entry) ? entry : { path: String(entry) };
    if (!isObj(entry)) madeFrom(e, at);
    e.path = absPath(ctx.workingDir, String(e.path));
    e.required ??= true;
    return e;
  });
  madeFrom(out, origin);
  out.forEach((e, i) => setOrigin(out, i, originOf(e)));
  return out;
}

function canonicalDependsOn(list: unknown[]): Obj {
  const out: Obj = {};
  list.forEach((s, i) => {
    out[String(s)] = { condition: 'service_started', required: true };
    madeFrom(out[String(s)], originOf(list, i));
    setOrigin(out, String(s), originOf(list, i));
  });
  madeFromIfNew(out, originOf(list));
  return out;
}

/** Ports as mappings; one short-syntax string may make several (`"3000-3005"`). */
function canonicalPorts(list: unknown[], ctx: CanonicalContext): Obj[] {
  const out: Obj[] = [];
  const origins: (Origin | undefined)[] = [];
  list.forEach((p, i) => {
    const at = originOf(list, i);
    if (isObj(p)) {
      out.push(p);
      origins.push(at);
      return;
    }
    let parsed;
    try {
      parsed = parseShortPortSpec(String(p));
    } catch (e) {
      if (e instanceof UnitError) ctx.fail(at, e.message, e.hint);
      throw e;
    }
    for (const port of parsed) {
      const m: Obj = { target: port.target, protocol: port.protocol };
      if (port.published !== undefined) m.published = port.published;
      if (port.hostIp !== undefined) m.host_ip = port.hostIp;
      madeFrom(m, at);
      out.push(m);
      origins.push(at);
    }
  });
  madeFromIfNew(out, originOf(list));
  origins.forEach((o, i) => setOrigin(out, i, o));
  return out;
}

const BIND_PROPAGATION = new Set(['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave']);

/** A volume as a mapping (compose-go `format.ParseVolume`), bind sources made absolute. */
function canonicalVolume(v: unknown, at: Origin | undefined, ctx: CanonicalContext): unknown {
  if (isObj(v)) {
    if (v.type === 'bind' && typeof v.source === 'string') v.source = absPath(ctx.workingDir, v.source);
    if (typeof v.target === 'string') v.target = cleanTarget(v.target);
    return v;
  }
  const spec = String(v);
  const parts = spec.split(':');
  if (spec === '' || parts.some((p, i) => p === '' && i < parts.length)) {
    ctx.fail(at, `invalid volume "${spec}"`, 'use SOURCE:TARGET[:MODE], e.g. "./data:/data:ro"');
  }
  if (parts.length > 3) ctx.fail(at, `invalid volume "${spec}": too many colons`, 'use SOURCE:TARGET[:MODE]');
  const out: Obj = {};
  if (parts.length === 1) {
    out.type = 'volume';
    out.target = cleanTarget(parts[0]!);
  } else {
    const [source, target, mode] = parts as [string, string, string | undefined];
    const bind = ['.', '/', '~'].includes(source[0]!);
    out.type = bind ? 'bind' : 'volume';
    out.source = bind ? absPath(ctx.workingDir, source) : source;
    out.target = cleanTarget(target);
    for (const option of (mode ?? '').split(',').filter(Boolean)) {
      if (option === 'ro') out.read_only = true;
      else if (option === 'rw') out.read_only = false;
      else if (option === 'nocopy') out.volume = { nocopy: true };
      else if (option === 'z' || option === 'Z') out.bind = { ...(out.bind as Obj), selinux: option };
      else if (BIND_PROPAGATION.has(option)) out.bind = { ...(out.bind as Obj), propagation: option };
      // compose-go ignores unknown options too.
    }
    if (bind) out.bind = { create_host_path: true, ...(out.bind as Obj) };
  }
  madeFrom(out, at);
  return out;
}

function cleanTarget(target: string): string {
  return target === '' ? '' : posix.normalize(target).replace(/(.)\/$/, '$1');
}
