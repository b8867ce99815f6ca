/**
 * Where each service runs in the cloud and which balancer serves each entry: model facts decided
 * once (src/model/intent/placement.ts), which synth, check, report and the diagram read.
 */
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import { balancerFor, cloudContainers, managedServices } from '../../../src/model/intent/placement.js';
import { composeDir } from '../../support/compose-dir.js';

const load = (compose: string) => loadApp([], { cwd: composeDir({ 'compose.yaml': compose }), env: {} });

describe('cloud placement', () => {
  const app = load(`services:
  web:
    image: nginx:1.27
    ports: ["8080:8080", "53:53/udp"]
  db:
    image: postgres:16
  cache:
    image: redis:7
    x-shipshape: { managed: false }
  admin:
    image: adminer:4
    ports: ["8081:8080"]
    x-shipshape: { local-only: true }
`);
  const placement = Object.fromEntries(app.services.map((s) => [s.name, s.intent.placement]));

  it('a container, a managed service, a datastore kept a container, a local-only tool', () => {
    expect(placement).toEqual({ web: 'service', db: 'managed', cache: 'service', admin: 'local-only' });
    expect(cloudContainers(app).map((s) => s.name)).toEqual(['web', 'cache']);
    expect(managedServices(app).map((s) => s.name)).toEqual(['db']);
  });

  it('says why, and config prints it', () => {
    const reason = (n: string) => app.services.find((s) => s.name === n)!.intent.placementReason;
    expect(reason('db')).toMatch(/Amazon RDS for PostgreSQL/);
    expect(reason('admin')).toMatch(/local-only/);
    expect(app.intent.decisions.filter((d) => d.topic === 'placement').map((d) => d.service)).toEqual([
      'web',
      'db',
      'cache',
      'admin',
    ]);
  });

  it('each entry carries its balancer: HTTP(S) application, TCP/UDP network', () => {
    const web = app.services.find((s) => s.name === 'web')!;
    expect(web.intent.entryPorts.map((p) => `${p.port}/${p.protocol} ${p.balancer}`)).toEqual([
      '8080/http application',
      '53/udp network',
    ]);
    expect(['http', 'https', 'tcp', 'udp'].map((p) => balancerFor(p as 'http'))).toEqual([
      'application',
      'application',
      'network',
      'network',
    ]);
  });
});
