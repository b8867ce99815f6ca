/**
 * Attacks on entries (docs/check.md, entry-ports): every entry config lists is routed by synth —
 * a second HTTP port gets a listener of its own — or refused, located; a port range becomes one
 * security-group rule, never thousands, and more than a load balancer can hold is refused.
 */
import { assertCloudReady } from '../../../src/model/gate.js';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ComposeApp } from '../../../src/infra/compose-app.js';
import { loadApp } from '../../../src/model/load.js';
import type { AppModel } from '../../../src/model/types.js';
import { gateFindings } from '../../../src/model/gate.js';
import { composeDir } from '../../support/compose-dir.js';

const load = (compose: string): AppModel =>
  loadApp([], { cwd: composeDir({ 'compose.yaml': compose }), env: {} });
const refused = (app: AppModel) =>
  gateFindings(app)
    .filter((f) => f.rule === 'entry-ports')
    .map((f) => `${f.service} @${f.location?.line}: ${f.message}`);

type Resource = { Type: string; Properties: Record<string, unknown> };
function synth(app: AppModel): Resource[] {
  const cdk = new App({ analyticsReporting: false });
  const stack = new Stack(cdk, 'T', { env: { region: 'us-east-1' } });
  new ComposeApp(stack, 'App', { app: assertCloudReady(app) });
  return Object.values(cdk.synth().getStackByName('T').template.Resources as Record<string, Resource>);
}

describe('a second HTTP port of one service', () => {
  const app = load(`services:
  web:
    image: example/web:1
    user: "1000"
    ports: ["80:8080", "3000:3000"]
`);
  it('the model gives it a listener of its own (its published port)', () => {
    const web = app.services[0]!;
    expect(web.intent.entryPorts.map((p) => [p.port, p.listener])).toEqual([
      [8080, undefined],
      [3000, 3000],
    ]);
    expect(refused(app)).toEqual([]);
  });

  it('synth routes both: the main listener to 8080, a listener on 3000 to 3000', () => {
    const resources = synth(app);
    const listeners = resources.filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::Listener');
    expect(listeners.map((l) => l.Properties.Port).sort()).toEqual([3000, 80]);
    const groups = resources.filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(groups.map((g) => g.Properties.Port).sort()).toEqual([3000, 8080]);
    // The load balancer's group admits the internet on both listener ports.
    const lb = resources.find(
      (r) =>
        r.Type === 'AWS::EC2::SecurityGroup' &&
        /Public load balancer/.test(String(r.Properties.GroupDescription)),
    )!;
    const open = (lb.Properties.SecurityGroupIngress as { FromPort: number }[]).map((i) => i.FromPort).sort();
    expect(open).toEqual([3000, 80]);
  });

  it('two services wanting the same extra listener, or 80/443 for an extra port, are refused where they publish', () => {
    const clash = load(`services:
  a:
    image: example/a:1
    ports: ["8081:8080", "3000:3000"]
  b:
    image: example/b:1
    ports: ["8082:8080", "3000:3001"]
  c:
    image: example/c:1
    ports: ["8083:8080", "443:8443"]
    x-shipshape: { protocols: { 8443: http } }
`);
    expect(refused(clash)).toEqual([
      'b @7: b and a both need a HTTP listener on port 3000',
      "c @10: c's HTTP port 8443 would need a listener on 443, which the main listener of the load balancer serves",
    ]);
  });
});

describe('port ranges', () => {
  it('an exposed range between services is one security group rule (FromPort..ToPort), not one per port', () => {
    const app = load(`services:
  client:
    image: example/client:1
    user: "1000"
    depends_on: [media]
  media:
    image: example/media:1
    user: "1000"
    expose: ["40000-40099"]
`);
    expect(refused(app)).toEqual([]);
    const rules = synth(app).filter(
      (r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && Number(r.Properties.FromPort) >= 40000,
    );
    expect(rules.map((r) => [r.Properties.FromPort, r.Properties.ToPort])).toEqual([[40000, 40099]]);
  });

  it('a range of a thousand exposed ports, or more published listeners than a load balancer holds, is refused, located', () => {
    const app = load(`services:
  media:
    image: example/media:1
    expose: ["40000-40999"]
  rtp:
    image: example/rtp:1
    ports: ["10000-10060:10000-10060/udp"]
`);
    const found = refused(app);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(
      /^media @4: media listens on 1000 ports \(40000-40999\); a cloud task maps at most 100/,
    );
    expect(found[1]).toMatch(
      /^rtp @7: the app's entries need 61 listeners on the network load balancer; it can have at most 50/,
    );
  });
});
