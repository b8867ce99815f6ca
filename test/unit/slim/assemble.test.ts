import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { dockerfileQuote, filterExport, importChanges } from '../../../src/slim/assemble.js';
import { resolveRuntimeUser } from '../../../src/slim/user.js';

function exportTar(): Readable {
  const p = pack();
  p.entry({ name: 'etc/', type: 'directory', mode: 0o755 });
  p.entry({ name: 'etc/passwd', mode: 0o644 }, 'root:x:0:0::/root:/bin/sh\n');
  p.entry({ name: 'etc/shadow', mode: 0o640 }, 'secret');
  p.entry({ name: 'usr/', type: 'directory', mode: 0o755 });
  p.entry({ name: 'usr/bin/', type: 'directory', mode: 0o755 });
  p.entry({ name: 'usr/bin/su', mode: 0o4755 }, 'ELF');
  p.entry({ name: 'usr/bin/ping', mode: 0o755, pax: { 'SCHILY.xattr.security.capability': 'x' } }, 'ELF');
  p.entry({ name: 'usr/bin/app', mode: 0o755 }, Buffer.alloc(70_000, 1));
  p.entry({ name: 'bin', type: 'symlink', linkname: 'usr/bin' });
  p.finalize();
  return p as unknown as Readable;
}

async function read(tar: Readable): Promise<Map<string, { mode: number; type: string; body: string }>> {
  const out = new Map<string, { mode: number; type: string; body: string }>();
  const ex = extract();
  tar.pipe(ex);
  for await (const entry of ex) {
    const chunks: Buffer[] = [];
    for await (const c of entry as AsyncIterable<Buffer>) chunks.push(c);
    out.set(entry.header.name, {
      mode: entry.header.mode!,
      type: entry.header.type!,
      body: Buffer.concat(chunks).toString(),
    });
  }
  return out;
}

describe('filterExport', () => {
  it('passes kept entries only, strips setuid and file capabilities, adds the runtime user', async () => {
    const user = resolveRuntimeUser(undefined, undefined, 'root:x:0:0::/root:/bin/sh\n', undefined);
    const keep = new Set([
      '/etc',
      '/etc/passwd',
      '/usr',
      '/usr/bin',
      '/usr/bin/su',
      '/usr/bin/ping',
      '/usr/bin/app',
      '/bin',
    ]);
    const { tar, done } = filterExport(exportTar(), keep, user);
    const [entries, stats] = await Promise.all([read(tar), done]);
    expect([...entries.keys()].sort()).toEqual(
      [
        'bin',
        'etc/',
        'etc/group',
        'etc/passwd',
        'usr/',
        'usr/bin/',
        'usr/bin/app',
        'usr/bin/ping',
        'usr/bin/su',
      ].sort(),
    );
    expect(entries.get('usr/bin/su')!.mode).toBe(0o755);
    expect(stats.setuidStripped).toEqual(['/usr/bin/su']);
    expect(stats.capabilitiesStripped).toEqual(['/usr/bin/ping']);
    expect(entries.get('usr/bin/app')!.body.length).toBe(70_000);
    expect(entries.get('etc/passwd')!.body).toContain('nonroot:x:65532:65532:');
    expect(entries.get('etc/group')!.body).toContain('nonroot:x:65532:');
    expect(entries.has('etc/shadow')).toBe(false);
    expect(stats.files).toBe(5);
  });
});

describe('import changes', () => {
  it('quotes values so the engine takes them literally', () => {
    expect(dockerfileQuote('a "b" $HOME \\x')).toBe('"a \\"b\\" \\$HOME \\\\x"');
  });

  it('recreates the kept config', () => {
    expect(
      importChanges({
        entrypoint: ['/app'],
        cmd: ['--port', '80'],
        env: ['PATH=/usr/bin', 'MSG=a b'],
        workingDir: '/srv',
        exposedPorts: ['80/tcp'],
        labels: { 'org.x': 'y' },
        volumes: ['/data'],
        user: '65532:65532',
        stopSignal: 'SIGINT',
      }),
    ).toEqual([
      'ENTRYPOINT ["/app"]',
      'CMD ["--port","80"]',
      'ENV PATH="/usr/bin"',
      'ENV MSG="a b"',
      'WORKDIR /srv',
      'EXPOSE 80/tcp',
      'LABEL "org.x"="y"',
      'VOLUME ["/data"]',
      'USER 65532:65532',
    ]);
  });
});
