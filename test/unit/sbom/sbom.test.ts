import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { buildBom } from '../../../src/sbom/bom.js';
import { readGoBuildInfo } from '../../../src/sbom/go-buildinfo.js';
import { keptPackages, listPackages, packageIndexOptions } from '../../../src/sbom/packages.js';
import { ImageIndex, type FsEntry } from '../../../src/images/image-fs.js';

const file = (path: string, size = 10): FsEntry => ({
  path,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  size,
});

/** A Go 1.18+ build-info blob as the linker writes it, at a 16-byte aligned offset. */
function goBinary(modinfo: string, version = 'go1.22.4'): Buffer {
  const sentinel = Buffer.alloc(16, 0x30);
  const info = Buffer.concat([sentinel, Buffer.from(modinfo), sentinel]);
  const header = Buffer.alloc(32);
  Buffer.from('\xff Go buildinf:', 'latin1').copy(header);
  header[14] = 8;
  header[15] = 0x2;
  const str = (b: Buffer) =>
    Buffer.concat([
      Buffer.from([
        (b.length & 0x7f) | (b.length > 127 ? 0x80 : 0),
        ...(b.length > 127 ? [b.length >> 7] : []),
      ]),
      b,
    ]);
  return Buffer.concat([
    Buffer.from('\x7fELF' + '\0'.repeat(44)),
    header,
    str(Buffer.from(version)),
    str(info),
  ]);
}

const DPKG_STATUS = `Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u4
Description: GNU C Library
 shared libraries

Package: removed-one
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
`;

function index(): ImageIndex {
  const i = new ImageIndex();
  const { options } = packageIndexOptions();
  const put = (path: string, text?: string) => {
    i.add(file(path, text?.length ?? 10));
    if (text !== undefined && options.capture!(path, text.length)) i.texts.set(path, text);
  };
  i.add({ path: '/usr/lib', type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0 });
  put('/etc/os-release', 'ID=debian\nVERSION_ID="12"\n');
  put('/var/lib/dpkg/status', DPKG_STATUS);
  put('/var/lib/dpkg/info/libc6:amd64.list', '/.\n/usr/lib\n/lib/x86_64-linux-gnu/libc.so.6\n');
  put('/usr/lib/x86_64-linux-gnu/libc.so.6');
  put('/var/lib/dpkg/info/tzdata.list', '/usr/share/zoneinfo/UTC\n');
  put('/usr/share/zoneinfo/UTC');
  put('/lib/apk/db/installed', 'P:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\nF:lib\nR:ld-musl-x86_64.so.1\n\n');
  put('/app/node_modules/express/package.json', '{"name":"express","version":"4.19.2","license":"MIT"}');
  put('/app/node_modules/express/index.js');
  put('/app/node_modules/@types/node/package.json', '{"name":"@types/node","version":"20.1.0"}');
  put('/app/node_modules/broken/package.json', '{ not json');
  put(
    '/usr/lib/python3/site-packages/Flask_Login-0.6.3.dist-info/METADATA',
    'Metadata-Version: 2.1\nName: Flask_Login\nVersion: 0.6.3\n\nbody',
  );
  put(
    '/usr/lib/python3/site-packages/Flask_Login-0.6.3.dist-info/RECORD',
    'flask_login/__init__.py,sha256=x,10\n',
  );
  put('/usr/lib/python3/site-packages/flask_login/__init__.py');
  return i;
}

describe('sbom: packages read from an image index', () => {
  it('reads dpkg, apk, npm, Python and Go packages with purls and owned files', () => {
    const { options, goBinaries } = packageIndexOptions();
    options.onElf!(
      file('/app/server'),
      goBinary(
        'path\texample.com/server\nmod\texample.com/server\t(devel)\t\ndep\tgolang.org/x/text\tv0.14.0\th1:abc=\n',
      ),
    );
    const pkgs = listPackages(index(), goBinaries);
    const purls = pkgs.map((p) => p.purl).sort();
    expect(purls).toEqual(
      [
        'pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12',
        'pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all&distro=debian-12',
        'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64',
        'pkg:npm/express@4.19.2',
        'pkg:npm/%40types/node@20.1.0',
        'pkg:pypi/flask-login@0.6.3',
        'pkg:golang/example.com/server',
        'pkg:golang/golang.org/x/text@v0.14.0',
        'pkg:golang/stdlib@1.22.4',
      ].sort(),
    );
    const libc = pkgs.find((p) => p.name === 'libc6')!;
    expect(libc.files).toEqual(['/lib/x86_64-linux-gnu/libc.so.6']);
    expect(pkgs.find((p) => p.name === 'express')!.files.sort()).toEqual([
      '/app/node_modules/express/index.js',
      '/app/node_modules/express/package.json',
    ]);
    expect(pkgs.find((p) => p.name === 'Flask_Login')!.files).toContain(
      '/usr/lib/python3/site-packages/flask_login/__init__.py',
    );
  });

  it('keeps, for a slim image, exactly the packages with a file left in it', () => {
    const pkgs = listPackages(index(), new Map());
    const slim = new ImageIndex();
    for (const d of [
      '/usr',
      '/usr/lib',
      '/usr/lib/x86_64-linux-gnu',
      '/app',
      '/app/node_modules',
      '/app/node_modules/express',
    ])
      slim.add({ path: d, type: 'directory', mode: 0o755, uid: 0, gid: 0, size: 0 });
    slim.add(file('/usr/lib/x86_64-linux-gnu/libc.so.6'));
    slim.add(file('/app/node_modules/express/index.js'));
    // merged /usr: the dpkg list says /lib/..., the slim image has /lib -> usr/lib
    slim.add({ path: '/lib', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, linkname: 'usr/lib' });
    expect(
      keptPackages(pkgs, slim)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['express', 'libc6']);
  });

  it('reads Go build info only from Go binaries', () => {
    expect(readGoBuildInfo(Buffer.from('\x7fELF not go at all'))).toBeUndefined();
    const info = readGoBuildInfo(
      goBinary('path\tx/y\nmod\tx/y\tv1.0.0\t\ndep\ta/b\tv0.1.0\th1:z\n=>\tc/d\tv0.2.0\th1:w\n'),
    );
    expect(info).toEqual({
      goVersion: 'go1.22.4',
      path: 'x/y',
      main: { path: 'x/y', version: 'v1.0.0' },
      deps: [{ path: 'c/d', version: 'v0.2.0', sum: 'h1:w' }],
    });
  });
});

describe('sbom: the CycloneDX document', () => {
  it('validates against the CycloneDX 1.6 JSON schema the library ships', async () => {
    const pkgs = listPackages(index(), new Map());
    const json = buildBom(
      { ref: 'app:1', id: 'sha256:abc', properties: { 'shipshape:service': 'web' } },
      pkgs,
      new Date(0),
    );
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    expect(await validator.validate(json)).toBeNull();
    const bom = JSON.parse(json);
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.component).toMatchObject({ type: 'container', name: 'app:1' });
    expect(bom.components.length).toBe(pkgs.length);
    expect(bom.components.every((c: { purl?: string }) => c.purl?.startsWith('pkg:'))).toBe(true);
  });

  it('the validator rejects a broken document', async () => {
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    expect(
      await validator.validate(
        JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ name: 1 }] }),
      ),
    ).not.toBeNull();
  });
});
