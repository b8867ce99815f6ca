import { posix } from 'node:path';
import { PackageURL } from 'packageurl-js';
import type { ImageIndex, IndexOptions } from '../images/image-fs.js';
import { readGoBuildInfo, type GoBuildInfo } from './go-buildinfo.js';

/**
 * The packages in an image, read from the databases package managers leave behind: dpkg status
 * (and distroless `status.d`), the apk database, `node_modules/…/package.json`, Python
 * `*.dist-info` / `*.egg-info`, and the build info of Go binaries. Each package carries its purl
 * and the files it owns, so a slim image's SBOM can keep exactly the packages it kept files of.
 */
export type Ecosystem = 'deb' | 'apk' | 'npm' | 'pypi' | 'golang';

export interface ImagePackage {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  purl: string;
  /** Where the package was found (database file, package.json, binary). */
  foundAt: string;
  /** Files it owns (absolute paths in the image). */
  files: string[];
  license?: string;
}

const DPKG = /^\/var\/lib\/dpkg\/(status|status\.d\/[^/]+|info\/[^/]+\.list)$/;
const APK = '/lib/apk/db/installed';
const OS_RELEASE = /^\/(etc|usr\/lib)\/os-release$/;
const NPM_MANIFEST = /\/node_modules\/(@[^/]+\/)?[^/@.][^/]*\/package\.json$/;
const PY_META = /\/[^/]+\.(dist-info\/(METADATA|RECORD)|egg-info\/PKG-INFO)$/;
const MAX_DB = 32 * 1024 * 1024;

/** Index options that capture package databases and Go build info in the indexing pass. */
export function packageIndexOptions(): { options: IndexOptions; goBinaries: Map<string, GoBuildInfo> } {
  const goBinaries = new Map<string, GoBuildInfo>();
  return {
    goBinaries,
    options: {
      capture: (path, size) =>
        size <= MAX_DB &&
        (DPKG.test(path) ||
          path === APK ||
          OS_RELEASE.test(path) ||
          NPM_MANIFEST.test(path) ||
          PY_META.test(path)),
      onElf: (entry, content) => {
        const info = readGoBuildInfo(content);
        if (info) goBinaries.set(entry.path, info);
      },
    },
  };
}

export function listPackages(
  index: ImageIndex,
  goBinaries: ReadonlyMap<string, GoBuildInfo>,
): ImagePackage[] {
  return [
    ...dpkgPackages(index),
    ...apkPackages(index),
    ...npmPackages(index),
    ...pythonPackages(index),
    ...goPackages(goBinaries),
  ];
}

const purl = (
  type: string,
  namespace: string | undefined,
  name: string,
  version: string,
  q?: Record<string, string>,
) => new PackageURL(type, namespace, name, version || undefined, q, undefined).toString();

/** RFC 822-style stanzas (dpkg status, Python METADATA headers). */
function stanzas(text: string): Record<string, string>[] {
  return text
    .split(/\n\s*\n/)
    .filter((b) => b.trim())
    .map((block) => {
      const fields: Record<string, string> = {};
      let last = '';
      for (const line of block.split('\n')) {
        if (/^\s/.test(line) && last) fields[last] += `\n${line.trim()}`;
        else {
          const i = line.indexOf(':');
          if (i > 0) {
            last = line.slice(0, i);
            fields[last] ??= line.slice(i + 1).trim();
          }
        }
      }
      return fields;
    });
}

function osRelease(index: ImageIndex): { id: string; versionId?: string } {
  const text = index.texts.get('/etc/os-release') ?? index.texts.get('/usr/lib/os-release') ?? '';
  const get = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1];
  return { id: get('ID') ?? 'debian', versionId: get('VERSION_ID') };
}

function dpkgPackages(index: ImageIndex): ImagePackage[] {
  const os = osRelease(index);
  const out: ImagePackage[] = [];
  const sources = [...index.texts.keys()].filter((p) =>
    /^\/var\/lib\/dpkg\/(status|status\.d\/[^/]+)$/.test(p),
  );
  for (const source of sources) {
    for (const f of stanzas(index.texts.get(source)!)) {
      if (!f.Package || !f.Version || (f.Status && !/\binstalled$/.test(f.Status))) continue;
      const arch = f.Architecture ?? '';
      const list =
        index.texts.get(`/var/lib/dpkg/info/${f.Package}:${arch}.list`) ??
        index.texts.get(`/var/lib/dpkg/info/${f.Package}.list`) ??
        '';
      const files = list.split('\n').filter((p) => p && index.get(p)?.type !== 'directory' && p !== '/.');
      out.push({
        ecosystem: 'deb',
        name: f.Package,
        version: f.Version,
        purl: purl('deb', os.id, f.Package, f.Version, {
          ...(arch ? { arch } : {}),
          ...(os.versionId ? { distro: `${os.id}-${os.versionId}` } : {}),
        }),
        foundAt: source,
        files,
      });
    }
  }
  return out;
}

function apkPackages(index: ImageIndex): ImagePackage[] {
  const text = index.texts.get(APK);
  if (!text) return [];
  const os = osRelease(index);
  return text
    .split(/\n\s*\n/)
    .map((block) => {
      const files: string[] = [];
      let dir = '';
      const f: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const [k, v] = [line.slice(0, 1), line.slice(2)];
        if (k === 'F') dir = v;
        else if (k === 'R') files.push(`/${dir}/${v}`);
        else if (line[1] === ':') f[k] = v;
      }
      return { f, files };
    })
    .filter(({ f }) => f.P && f.V)
    .map(({ f, files }) => ({
      ecosystem: 'apk' as const,
      name: f.P!,
      version: f.V!,
      purl: purl('apk', os.id === 'debian' ? 'alpine' : os.id, f.P!, f.V!, f.A ? { arch: f.A } : undefined),
      foundAt: APK,
      files,
      ...(f.L ? { license: f.L } : {}),
    }));
}

/** Files below each of `dirs`, each file given to its nearest enclosing dir. */
function ownedFiles(index: ImageIndex, dirs: Set<string>): Map<string, string[]> {
  const owned = new Map<string, string[]>();
  for (const [path, e] of index.entries) {
    if (e.type === 'directory') continue;
    for (let d = posix.dirname(path); d !== '/'; d = posix.dirname(d)) {
      if (dirs.has(d)) {
        owned.set(d, [...(owned.get(d) ?? []), path]);
        break;
      }
    }
  }
  return owned;
}

function npmPackages(index: ImageIndex): ImagePackage[] {
  const manifests = [...index.texts.keys()].filter((p) => NPM_MANIFEST.test(p));
  const owned = ownedFiles(index, new Set(manifests.map((m) => posix.dirname(m))));
  const out: ImagePackage[] = [];
  for (const m of manifests) {
    let pkg: { name?: unknown; version?: unknown; license?: unknown };
    try {
      pkg = JSON.parse(index.texts.get(m)!) as typeof pkg;
    } catch {
      continue; // not a package manifest (a fixture, a template): not a package
    }
    if (typeof pkg.name !== 'string' || typeof pkg.version !== 'string') continue;
    const [scope, name] = pkg.name.startsWith('@') ? pkg.name.split('/') : [undefined, pkg.name];
    out.push({
      ecosystem: 'npm',
      name: pkg.name,
      version: pkg.version,
      purl: purl('npm', scope, name!, pkg.version),
      foundAt: m,
      files: owned.get(posix.dirname(m)) ?? [m],
      ...(typeof pkg.license === 'string' ? { license: pkg.license } : {}),
    });
  }
  return out;
}

function pythonPackages(index: ImageIndex): ImagePackage[] {
  const out: ImagePackage[] = [];
  for (const [path, text] of index.texts) {
    if (!/\.(dist-info\/METADATA|egg-info\/PKG-INFO)$/.test(path)) continue;
    const head = stanzas(text.split(/\n\n/)[0] ?? '')[0] ?? {};
    if (!head.Name || !head.Version) continue;
    const dir = posix.dirname(path);
    const site = posix.dirname(dir);
    const record = index.texts.get(`${dir}/RECORD`) ?? '';
    const files = [
      path,
      ...record
        .split('\n')
        .map((l) => l.split(',')[0]!)
        .filter(Boolean)
        .map((rel) => posix.normalize(posix.join(site, rel))),
    ];
    const name = head.Name.toLowerCase().replace(/[-_.]+/g, '-');
    out.push({
      ecosystem: 'pypi',
      name: head.Name,
      version: head.Version,
      purl: purl('pypi', undefined, name, head.Version),
      foundAt: path,
      files: [...new Set(files)],
      ...(head.License && head.License.length < 80 ? { license: head.License } : {}),
    });
  }
  return out;
}

function goPackages(binaries: ReadonlyMap<string, GoBuildInfo>): ImagePackage[] {
  const out: ImagePackage[] = [];
  for (const [binary, info] of binaries) {
    const mods = [...(info.main ? [info.main] : []), ...info.deps];
    for (const m of mods) {
      const version = m.version === '(devel)' ? '' : m.version;
      const slash = m.path.lastIndexOf('/');
      out.push({
        ecosystem: 'golang',
        name: m.path,
        version,
        purl: purl(
          'golang',
          slash > 0 ? m.path.slice(0, slash) : undefined,
          m.path.slice(slash + 1),
          version,
        ),
        foundAt: binary,
        files: [binary],
      });
    }
    out.push({
      ecosystem: 'golang',
      name: 'stdlib',
      version: info.goVersion.replace(/^go/, ''),
      purl: purl('golang', undefined, 'stdlib', info.goVersion.replace(/^go/, '')),
      foundAt: binary,
      files: [binary],
    });
  }
  return out;
}

/**
 * Packages with at least one file left in the slim image (resolved through its symlinks, so a
 * dpkg list's `/bin/sh` counts when `/usr/bin/sh` was kept in a merged-/usr image).
 */
export function keptPackages(packages: readonly ImagePackage[], slim: ImageIndex): ImagePackage[] {
  const exists = (f: string) => {
    const real = slim.realPath(f);
    return real !== undefined && slim.get(real)?.type !== 'directory';
  };
  return packages.filter((p) => p.files.some(exists));
}
