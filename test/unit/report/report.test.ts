import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { architectureGraph, renderDiagram } from '../../../src/infra/diagram.js';
import { loadApp } from '../../../src/model/load.js';
import { runCheck } from '../../../src/policy/check.js';
import { exposureRow, type ReportData } from '../../../src/report/data.js';
import { lastDeployment } from '../../../src/deploy/record.js';
import { renderReport } from '../../../src/report/html.js';
import { composeDir } from '../../support/compose-dir.js';

const COMPOSE = `x-shipshape:
  name: shop
services:
  web:
    image: example/web:1
    user: "1000"
    ports: ['80:8080']
    environment:
      API_URL: http://api:5000
    depends_on: [api]
  api:
    image: example/api:1
    user: "1000"
    expose: ['5000']
  db:
    image: postgres:16
    ports: ['127.0.0.1:5432:5432']
`;

async function data(dir: string): Promise<ReportData> {
  const app = loadApp([`${dir}/compose.yaml`]);
  return {
    app: app.name,
    environment: app.x.environment,
    region: app.x.aws.region,
    generatedAt: '2026-01-01T00:00:00Z',
    version: '0.0.0',
    services: app.services.map((s) => ({
      name: s.name,
      image: s.image ?? '',
      exposure: s.intent.exposure,
      user: '1000',
      replicas: 1,
    })),
    diagramSvg: await renderDiagram(architectureGraph(app), 'shop <dev>'),
    exposure: app.services.map(exposureRow),
    decisions: app.intent.decisions.map((d) => d.text),
    check: await runCheck(app, { families: ['compose'] }),
    deployment: lastDeployment(app),
  };
}

describe('report page', () => {
  it('shows exposure local vs cloud with the model’s reasons', async () => {
    const d = await data(composeDir({ 'compose.yaml': COMPOSE }));
    expect(d.exposure).toEqual([
      {
        service: 'web',
        local: 'all interfaces:80 → 8080/tcp',
        cloud: 'public: 8080/http via ALB',
        why: expect.stringMatching(/^public/),
      },
      { service: 'api', local: 'not published', cloud: 'private', why: 'private (publishes no port)' },
      {
        service: 'db',
        local: '127.0.0.1:5432 → 5432/tcp',
        cloud: expect.stringMatching(/^private/),
        why: expect.stringMatching(/postgres/),
      },
    ]);
  });

  it('is self-contained: no script, no external resource, everything escaped', async () => {
    const dir = composeDir({ 'compose.yaml': COMPOSE });
    const html = renderReport(await data(dir));
    expect(html).not.toMatch(/<script|<link|@import|url\((?!#)/i);
    expect(html).not.toMatch(/\s(src|href)="(?!#)/);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('<title>shop &lt;dev&gt;</title>'); // the diagram's title, escaped
    expect(html).toContain('SS-COMPOSE-017');
    expect(html).toContain('No deployment recorded');
  });

  it('shows the newest deployment record of the app’s environment', async () => {
    const dir = composeDir({ 'compose.yaml': COMPOSE });
    const deploy = join(dir, '.shipshape', 'deploy');
    mkdirSync(deploy, { recursive: true });
    const record = (name: string, body: object, age: number) => {
      writeFileSync(join(deploy, name), JSON.stringify(body));
      const t = new Date(Date.now() - age * 1000);
      utimesSync(join(deploy, name), t, t);
    };
    record('dev-old.json', { environment: 'dev', status: 'FAILED', stacks: ['shop-dev'] }, 100);
    record('prod.json', { environment: 'prod', status: 'DEPLOYED' }, 1);
    record(
      'dev.json',
      {
        environment: 'dev',
        status: 'DEPLOYED',
        time: '2026-01-02T03:04:05Z',
        stacks: [{ name: 'shop-dev', status: 'UPDATE_COMPLETE' }],
        outputs: { Url: 'http://shop.example' },
      },
      10,
    );
    writeFileSync(join(deploy, 'broken.json'), '{');
    const d = await data(dir);
    expect(d.deployment).toMatchObject({
      status: 'DEPLOYED',
      time: '2026-01-02T03:04:05Z',
      stacks: [{ name: 'shop-dev', status: 'UPDATE_COMPLETE' }],
    });
    const html = renderReport(d);
    expect(html).toContain('UPDATE_COMPLETE');
    expect(html).toContain('<code>http://shop.example</code>');
  });
});
