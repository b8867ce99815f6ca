import { describe, expect, it } from 'vitest';
import type { ImageSnapshot } from '../../../src/engine/image-read.js';
import { loadApp } from '../../../src/model/load.js';
import type { ServiceModel } from '../../../src/model/types.js';
import { RULES } from '../../../src/policy/rules/catalog.js';
import { imageFindings, imageIndexOptions, type ImageFacts } from '../../../src/policy/rules/image.js';
import { ImageIndex, type FsEntry } from '../../../src/images/image-fs.js';
import { composeDir } from '../../support/compose-dir.js';

const location = { file: '/p/compose.yaml', line: 3, column: 5 };

function service(yaml: string): ServiceModel {
  const dir = composeDir({ 'compose.yaml': yaml });
  return loadApp([`${dir}/compose.yaml`]).services[0]!;
}

function entry(path: string, type: FsEntry['type'], mode: number, size = 10): FsEntry {
  return { path, type, mode, uid: 0, gid: 0, size };
}

/** Feed `files` through the indexer's options as the streamed pass would. */
function snapshot(files: [FsEntry, string?][], over: Partial<ImageSnapshot> = {}): ImageFacts {
  const { options, privateKeys } = imageIndexOptions();
  const index = new ImageIndex();
  for (const [e, content] of files) {
    index.add(e);
    if (e.type === 'file' && content !== undefined) {
      const buf = Buffer.from(content);
      options.sniff!(e, buf);
      if (options.capture!(e.path, e.size)) index.texts.set(e.path, content);
    }
  }
  return {
    kind: 'built',
    privateKeys,
    snapshot: {
      ref: 'app:1',
      id: 'sha256:1',
      user: '',
      env: [],
      labels: {},
      size: 1e6,
      layers: 3,
      index,
      ...over,
    },
  };
}

const KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

describe('shipshape check: image rules', () => {
  const unknownUser = service('services:\n  app:\n    image: example/app:1\n');

  it('reports every image rule on a bad image, with the path it is about', () => {
    const facts = snapshot(
      [
        [entry('/usr/bin/passwd', 'file', 0o4755)],
        [entry('/bin/sh', 'file', 0o755)],
        [entry('/usr/bin/apt-get', 'file', 0o755)],
        [entry('/srv/shared', 'directory', 0o777)],
        [entry('/app/deploy_key', 'file', 0o600, KEY.length), KEY],
        [entry('/root/.npmrc', 'file', 0o600, 60), '//registry.npmjs.org/:_authToken=npm_abc123\n'],
        [entry('/app/.env', 'file', 0o644, 30), 'DB_PASSWORD=hunter2\nPORT=80\n'],
      ],
      { env: ['PATH=/bin', 'API_TOKEN=abc'], layers: 41, size: 600e6 },
    );
    const findings = imageFindings({ service: unknownUser, facts, location, slimmed: false });
    const fired = new Set(findings.map((f) => f.ruleId));
    for (const r of RULES.filter((x) => x.family === 'image')) expect(fired, r.id).toContain(r.id);
    const about = (id: string) => findings.filter((f) => f.ruleId === id).map((f) => f.image);
    expect(about('SS-IMAGE-001')).toEqual(['/usr/bin/passwd']);
    expect(about('SS-IMAGE-004')).toEqual(['/srv/shared']);
    expect(about('SS-IMAGE-005')).toEqual(['/app/deploy_key']);
    expect(about('SS-IMAGE-006').sort()).toEqual(['/app/.env', '/root/.npmrc']);
    expect(findings.find((f) => f.ruleId === 'SS-IMAGE-007')!.message).toContain('API_TOKEN');
    for (const f of findings) expect(f.location).toEqual(location);
  });

  it('reports nothing on a clean image', () => {
    const facts = snapshot(
      [
        [entry('/app/server', 'file', 0o755)],
        [entry('/tmp', 'directory', 0o1777)],
        [entry('/app/.npmrc', 'file', 0o644, 30), 'registry=https://registry.npmjs.org/\n'],
        [entry('/app/.env', 'file', 0o644, 30), 'PORT=80\nLOG_LEVEL=info\n'],
        [entry('/usr/lib/node_modules/x/test/fixtures/key.pem', 'file', 0o644, KEY.length), KEY],
      ],
      { user: '10001', env: ['PATH=/bin', 'PASSWORD_FILE=/run/secrets/db'] },
    );
    expect(imageFindings({ service: unknownUser, facts, location, slimmed: false })).toEqual([]);
  });

  it('judges the user: unknown to the model and root in the image; compose user wins on a slim image', () => {
    const root = snapshot([], { user: '' });
    expect(
      imageFindings({ service: unknownUser, facts: root, location, slimmed: true }).map((f) => f.ruleId),
    ).toEqual(['SS-IMAGE-008']);
    // The model already decided (compose user:), so the built image's USER is not judged again.
    const composeUser = service('services:\n  app:\n    image: example/app:1\n    user: "1000"\n');
    expect(imageFindings({ service: composeUser, facts: root, location, slimmed: true })).toEqual([]);
    const slimRoot = { ...root, kind: 'slim' as const };
    expect(imageFindings({ service: composeUser, facts: slimRoot, location, slimmed: true })).toEqual([]);
    expect(
      imageFindings({ service: unknownUser, facts: slimRoot, location, slimmed: true })[0]!.message,
    ).toMatch(/^slim image app:1: runs as root/);
  });

  it('does not call a large image a finding once it has a slim image', () => {
    const big = snapshot([], { user: '1', size: 900e6 });
    expect(imageFindings({ service: unknownUser, facts: big, location, slimmed: true })).toEqual([]);
  });
});
