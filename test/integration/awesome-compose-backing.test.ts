/**
 * docker/awesome-compose samples that use mysql, mariadb, redis or mongo, read from the local
 * mirror of the repository (nothing of it is copied into ours): each is loaded and synthesized,
 * its datastores must become managed services (and nothing else of them a Fargate task), and the
 * result must equal the table in docs/infrastructure.md. Skipped, with the reason, when the mirror
 * is absent.
 */
import { assertCloudReady } from '../../src/model/gate.js';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { ComposeApp } from '../../src/infra/compose-app.js';
import { loadApp } from '../../src/model/load.js';
import type { AppModel } from '../../src/model/types.js';
import { gateFindings } from '../../src/model/gate.js';

const MIRROR = process.env.AWESOME_COMPOSE_MIRROR ?? '/work/.mirror/docker+awesome-compose/repo';
const root = resolve(import.meta.dirname, '../..');
const present = existsSync(MIRROR);
const tmp = mkdtempSync(join(tmpdir(), 'shipshape-awesome-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The CloudFormation type of each managed engine's main resource. */
const RESOURCE: Record<string, string> = {
  'rds-mysql': 'AWS::RDS::DBInstance',
  'rds-mariadb': 'AWS::RDS::DBInstance',
  'rds-postgres': 'AWS::RDS::DBInstance',
  'elasticache-redis': 'AWS::ElastiCache::ReplicationGroup',
  'elasticache-valkey': 'AWS::ElastiCache::ReplicationGroup',
  'elasticache-memcached': 'AWS::ElastiCache::CacheCluster',
  documentdb: 'AWS::DocDB::DBCluster',
};

/** Samples whose compose file names a mysql, mariadb, redis or mongo image. */
function samples(): string[] {
  const files = execFileSync('git', ['-C', MIRROR, 'ls-tree', '-r', '--name-only', 'HEAD'], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => /^[^/]+\/(compose|docker-compose)\.ya?ml$/.test(f));
  return files
    .filter((f) =>
      /^\s*image:\s*['"]?[\w./-]*\b(mysql|mariadb|redis|redismod|mongo)\b/m.test(
        execFileSync('git', ['-C', MIRROR, 'show', `HEAD:${f}`], { encoding: 'utf8' }),
      ),
    )
    .map((f) => f.split('/')[0]!)
    .sort();
}

function extract(sample: string): string {
  execFileSync('sh', ['-c', `git -C "$0" archive HEAD "$1" | tar -x -C "$2"`, MIRROR, sample, tmp]);
  return join(tmp, sample);
}

/** The samples' own images run as root: accept it the way a user would, to reach synthesis. */
function acknowledged(app: AppModel): AppModel {
  const copy = structuredClone(app);
  copy.x.acknowledge = [
    { rule: 'root-user', reason: 'awesome-compose sample images run as root; not ours to change' },
    { rule: 'plain-secret', reason: 'awesome-compose samples write demo passwords in the compose file' },
  ];
  return copy;
}

interface Row {
  sample: string;
  datastore: string;
  managed: string;
  synth: string;
}

function row(sample: string): Row[] {
  const app = loadApp([], { cwd: extract(sample), env: {} });
  const refusals = gateFindings(app).filter((f) => f.kind === 'refusal');
  let template: Template | undefined;
  if (refusals.length === 0) {
    const stack = new Stack(new App({ analyticsReporting: false }), 'Sample', {
      env: { region: 'us-east-1' },
    });
    new ComposeApp(stack, 'App', { app: assertCloudReady(acknowledged(app)) });
    template = Template.fromStack(stack);
  }
  const services = template
    ? Object.values(template.findResources('AWS::ECS::Service')).map(
        (s) => s.Properties.ServiceName as string,
      )
    : [];
  return app.services
    .filter((s) => s.intent.datastore)
    .map((s) => {
      const d = s.intent.datastore!;
      // A container's reason ends in `(why)`.
      const why = d.reason.slice(d.reason.indexOf('(') + 1, -1);
      const managed =
        d.cloud === 'managed' ? `${d.managedBy}${d.version ? ` ${d.version}` : ''}` : `container: ${why}`;
      let synth =
        refusals.length > 0 ? `refused: ${refusals.map((r) => r.rule).join(', ')} (the sample's own)` : 'ok';
      if (template && d.cloud === 'managed') {
        expect(
          Object.keys(template.findResources(RESOURCE[d.engine!]!)).length,
          `${sample}/${s.name}`,
        ).toBeGreaterThan(0);
        expect(services, `${sample}: ${s.name} is not a Fargate task`).not.toContain(s.name);
        synth = `ok: ${RESOURCE[d.engine!]}`;
      }
      return { sample, datastore: `${s.name} (${s.image})`, managed, synth };
    });
}

/** The table in docs/infrastructure.md, between its markers. */
function documented(): Row[] {
  const text = readFileSync(join(root, 'docs/infrastructure.md'), 'utf8');
  const table = /<!-- awesome-compose:begin -->([\s\S]*?)<!-- awesome-compose:end -->/.exec(text)?.[1] ?? '';
  return table
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| sample') && !l.startsWith('| ---'))
    .map((l) => {
      const [sample, datastore, managed, synth] = l
        .slice(2, -2)
        .split(' | ')
        .map((c) => c.replace(/`/g, '').trim());
      return { sample: sample!, datastore: datastore!, managed: managed!, synth: synth! };
    });
}

describe.skipIf(!present)('docker/awesome-compose samples with backing services', () => {
  it('their mysql, mariadb, redis and mongo services synthesize into managed services, as docs/infrastructure.md says', () => {
    const list = samples();
    expect(list.length).toBeGreaterThanOrEqual(10);
    const rows = list.flatMap(row);
    if (process.env.PRINT_AWESOME_TABLE)
      console.log(
        rows.map((r) => `| ${r.sample} | \`${r.datastore}\` | ${r.managed} | ${r.synth} |`).join('\n'),
      );
    expect(rows).toEqual(documented());
    // Every mysql, mariadb and mongo among them is managed; redis too unless its image carries modules.
    for (const r of rows.filter((x) => /\((mysql|mariadb|mongo|redis)[:)]/.test(x.datastore)))
      expect(r.managed, r.datastore).not.toMatch(/^container/);
  });
});

if (!present) {
  describe('docker/awesome-compose samples with backing services', () => {
    it.skip(`skipped: no mirror of docker/awesome-compose at ${MIRROR} (set AWESOME_COMPOSE_MIRROR)`, () => {});
  });
}
