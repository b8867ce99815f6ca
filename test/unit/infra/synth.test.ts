import { assertCloudReady } from '../../../src/model/gate.js';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { architectureGraph, renderDiagram } from '../../../src/infra/diagram.js';
import { CfnResource } from 'aws-cdk-lib';
import { MIN_RESOURCES, buildApp, synthesize, type SynthResult } from '../../../src/infra/synth.js';
import {
  findMissingTags,
  loadTaggableSpec,
  precompiledTagTableSource,
  readPrecompiledTagTable,
  requiredTags,
} from '../../../src/infra/tags.js';
import { ExitCode, ShipshapeError } from '../../../src/model/errors.js';
import { composeDir } from '../../support/compose-dir.js';
import { example, fixture, load } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'shipshape-synth-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
const readTemplate = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Template;

const cases = [
  ['hello-lb', example('hello-lb')],
  ['web-api', example('web-api')],
  ['postgres fixture', fixture('postgres')],
  ['acknowledged unsafe fixture', fixture('unsafe-acknowledged')],
  ['nat-none fixture', fixture('nat-none')],
  ['private-only fixture', fixture('private-only')],
  ['two-public fixture', fixture('two-public')],
] as const;

describe.each(cases)('synthesize %s', (name, file) => {
  const model = load(file);
  let result: SynthResult;
  it('passes the policy gate with zero unacknowledged findings, each acknowledgement with a reason', async () => {
    result = await synthesize(model, { outdir: join(tmp, name.replace(/ /g, '-')), verifyTags: false });
    expect(result.nag?.findings).toEqual([]);
    for (const a of result.nag!.acknowledged) expect(a.reason.length).toBeGreaterThan(20);
    expect(result.split).toBe(false);
    // One app stack, plus the image repositories' stack when a service is built.
    const appStacks = result.stacks.filter((s) => s.name !== result.registryStack);
    expect(appStacks).toHaveLength(1);
    if (result.registryStack) expect(result.stacks[0]!.name).toBe(result.registryStack);
  });

  it('tags every taggable resource (per the CloudFormation resource specification)', async () => {
    const spec = await loadTaggableSpec();
    const required = requiredTags(model);
    expect(Object.keys(required)).toEqual(expect.arrayContaining(['app', 'environment', 'managed-by']));
    for (const stack of result.stacks) {
      const template = readTemplate(stack.templateFile);
      const taggable = Object.values(template.Resources).filter((r) => spec.get(r.Type));
      expect(taggable.length).toBeGreaterThan(stack.name === result.registryStack ? 0 : 10);
      expect(findMissingTags(template, required, spec)).toEqual([]);
    }
  });

  it('writes plain CloudFormation YAML equal to the assembly template, and the diagram', () => {
    for (const stack of result.stacks) {
      expect(parse(readFileSync(stack.yamlFile, 'utf8'))).toEqual(readTemplate(stack.templateFile));
    }
    expect(readFileSync(result.diagramFile, 'utf8')).toMatch(/^<svg /);
    // No compose value of a credential-looking variable reaches a template (the acknowledged
    // fixture writes DB_PASSWORD: hunter2 in plain text).
    for (const stack of result.stacks) expect(readFileSync(stack.yamlFile, 'utf8')).not.toContain('hunter2');
  });
});

describe('tag walker', () => {
  it('uses a precompiled table of taggable types only when made from the installed specification', async () => {
    const saved = JSON.parse(await precompiledTagTableSource()) as { specVersion: string; table: object };
    expect(Object.keys(saved.table).length).toBeGreaterThan(500);
    const current = join(tmp, 'taggable-current.json');
    writeFileSync(current, JSON.stringify(saved));
    expect(readPrecompiledTagTable(current)?.['AWS::S3::Bucket']).toEqual({
      property: 'Tags',
      variant: 'standard',
    });
    const stale = join(tmp, 'taggable-stale.json');
    writeFileSync(stale, JSON.stringify({ ...saved, specVersion: '0.0.1' }));
    expect(readPrecompiledTagTable(stale)).toBeUndefined();
  });

  it('flags a taggable resource without the tags and ignores types that take none', async () => {
    const spec = await loadTaggableSpec();
    const template = {
      Resources: {
        Bucket: { Type: 'AWS::S3::Bucket', Properties: { Tags: [{ Key: 'app', Value: 'x' }] } },
        Rule: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: {} },
        Param: { Type: 'AWS::SSM::Parameter', Properties: { Tags: { app: 'x', environment: 'dev' } } },
      },
    };
    expect(findMissingTags(template, { app: 'x', environment: 'dev' }, spec)).toEqual([
      { logicalId: 'Bucket', type: 'AWS::S3::Bucket', missing: ['environment'] },
    ]);
  });

  it('fails synth (exit 4) when something leaves a resource untagged', async () => {
    const model = load(example('hello-lb'));
    const err = await synthesize(model, {
      outdir: join(tmp, 'untagged'),
      nag: false,
      customize: (app) => {
        const bucket = new s3.CfnBucket(app, 'Untagged');
        // Simulate a resource the tag aspect cannot reach: wipe its tags at the last moment.
        bucket.addPropertyOverride('Tags', []);
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShipshapeError);
    expect((err as ShipshapeError).exitCode).toBe(ExitCode.verification);
    expect((err as ShipshapeError).more.map((d) => d.message).join('\n')).toMatch(
      /Untagged.*AWS::S3::Bucket.*lacks app/,
    );
  });
});

describe('policy gate', () => {
  it('fails with exit 4 and lists each unacknowledged cdk-nag finding', async () => {
    const model = load(example('hello-lb'));
    const err = await synthesize(model, {
      outdir: join(tmp, 'nag-fail'),
      customize: (app) => {
        new s3.Bucket(app, 'CarelessBucket'); // no TLS enforcement, no access logs
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShipshapeError);
    const e = err as ShipshapeError;
    expect(e.exitCode).toBe(ExitCode.verification);
    const listed = e.more.map((d) => d.message).join('\n');
    expect(listed).toMatch(/AwsSolutions-S1\b.*CarelessBucket/);
    expect(listed).toMatch(/AwsSolutions-S10\b.*CarelessBucket/);
    // Nothing half-checked is left behind: no assembly, no staging directory.
    expect(existsSync(join(tmp, 'nag-fail'))).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('unsafe compose settings fail synth with exit 2 before anything is built', async () => {
    const err = await synthesize(load(fixture('unsafe')), { outdir: join(tmp, 'unsafe') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ShipshapeError);
    expect((err as ShipshapeError).exitCode).toBe(ExitCode.usage);
  });
});

describe('split stacks', () => {
  it('services that call each other still synthesize: callers after callees, the call back left out', async () => {
    const model = load(fixture('mutual'));
    expect(model.traffic.edges.map((e) => `${e.from}->${e.to}`)).toEqual(
      expect.arrayContaining(['a->b', 'b->a']),
    );
    const result = await synthesize(model, { outdir: join(tmp, 'mutual'), split: 'always' });
    expect(result.split).toBe(true);
    expect(result.stacks.map((s) => s.name)).toEqual([
      'mutual-dev-ecr',
      'mutual-dev',
      'mutual-dev-front',
      'mutual-dev-a',
      'mutual-dev-b',
    ]);
    const manifest = JSON.parse(readFileSync(join(result.outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string; dependencies?: string[] }>;
    };
    // Each caller's ECS service is created after its callee's (Service Connect must know the
    // callee first); b -> a would close a cycle with a -> b (a depends_on b) and is left out.
    // Every service stack depends on the repositories too (its images are pinned by digest there).
    const deps = (id: string) =>
      (manifest.artifacts[id]!.dependencies ?? []).filter((d) => !d.endsWith('.assets')).sort();
    expect(deps('Service-front')).toEqual(['Registry', 'Service-a', 'Shared']);
    expect(deps('Service-a')).toEqual(['Registry', 'Service-b', 'Shared']);
    expect(deps('Service-b')).toEqual(['Registry', 'Shared']);
    // Each caller's stack holds its own ingress/egress pair towards its callee.
    const a = readTemplate(result.stacks.find((s) => s.name === 'mutual-dev-a')!.templateFile);
    const types = Object.values(a.Resources).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::EC2::SecurityGroupIngress')).toHaveLength(1);
    expect(types.filter((t) => t === 'AWS::EC2::SecurityGroupEgress')).toHaveLength(1);
  });

  it('every kind of service brings at least MIN_RESOURCES resources (auto split relies on it)', () => {
    // The smallest service of each kind: private from an image, built, public, and a database.
    const dir = composeDir({
      'compose.yaml': [
        'services:',
        '  plain:',
        '    image: example/plain:1',
        "    user: '1000'",
        '  built:',
        '    build: ./built',
        '  web:',
        '    image: example/web:1',
        "    user: '1000'",
        '    ports: ["8080:8080"]',
        '  db:',
        '    image: postgres:16',
        '',
      ].join('\n'),
      'built/Dockerfile': 'FROM scratch\nUSER 1000\n',
    });
    const model = load(join(dir, 'compose.yaml'));
    const built = buildApp(assertCloudReady(model), {
      outdir: join(tmp, 'min-resources'),
      split: true,
      nag: false,
    });
    for (const service of model.services) {
      const stack = built.stacks.find((s) => s.node.id === `Service-${service.name}`)!;
      const resources = stack.node.findAll().filter((c) => CfnResource.isCfnResource(c));
      const fewest = service.name === 'db' ? MIN_RESOURCES.database : MIN_RESOURCES.service;
      expect(resources.length, service.name).toBeGreaterThanOrEqual(fewest);
    }
  });
});

describe('architecture diagram', () => {
  it('has exactly the allowed edges: internet → ALB → public, callers → callees and databases', async () => {
    const model = load(fixture('postgres'));
    const graph = architectureGraph(model);
    expect(graph.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(
      ['internet->alb', 'alb->svc:app', 'svc:app->svc:db', 'svc:worker->svc:db'].sort(),
    );
    expect(graph.nodes.find((n) => n.id === 'svc:db')?.kind).toBe('database');
    expect(graph.nodes.find((n) => n.id === 'svc:app')?.kind).toBe('public');
    expect(graph.nodes.find((n) => n.id === 'svc:worker')?.kind).toBe('private');

    const svg = await renderDiagram(graph, 'shop');
    const drawn = [...svg.matchAll(/data-from="([^"]+)" data-to="([^"]+)"/g)].map((m) => `${m[1]}->${m[2]}`);
    expect([...new Set(drawn)].sort()).toEqual(graph.edges.map((e) => `${e.from}->${e.to}`).sort());
    expect(svg.match(/<g class="node"/g)).toHaveLength(graph.nodes.length);
    // ELK placed every node: no two boxes share a position.
    const positions = [...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width/g)].map(
      (m) => `${m[1]},${m[2]}`,
    );
    expect(new Set(positions).size).toBe(positions.length);
  });

  it('web-api: internet → ALB → web → api and nothing else', () => {
    const graph = architectureGraph(load(example('web-api')));
    expect(graph.edges.map((e) => `${e.from}->${e.to}:${e.label}`)).toEqual([
      'internet->alb:80',
      'alb->svc:web:8080',
      'svc:web->svc:api:5000',
    ]);
  });
});
