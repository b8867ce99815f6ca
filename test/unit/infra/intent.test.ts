import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadApp } from '../../../src/model/load.js';
import type { AppModel, UnsafeRule } from '../../../src/model/types.js';
import { ShipshapeError } from '../../../src/model/errors.js';
import { allRules, composeStack, groupId } from './helpers.js';

/** What the production intent of the corpus apps (test/fixtures/apps) becomes in CloudFormation. */
const app = (name: string, ...acknowledged: UnsafeRule[]): AppModel => {
  const loaded = loadApp([], {
    cwd: new URL(`../../fixtures/apps/${name}/`, import.meta.url).pathname,
    env: {},
  });
  if (acknowledged.length === 0) return loaded;
  const copy = structuredClone(loaded);
  copy.x.acknowledge.push(
    ...acknowledged.map((rule) => ({ rule, reason: 'reviewed: the vendor image needs it' })),
  );
  return copy;
};
const template = (model: AppModel): Template => composeStack({ app: model }).template;
const proxyApiTemplate = () => template(app('proxy-api'));

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = (t: Template, type: string): Resource[] =>
  Object.values(t.toJSON().Resources as Record<string, Resource>).filter((r) => r.Type === type);

describe('production intent in the synthesized template', () => {
  it('no target group for a datastore published for debugging; the web entry gets one', () => {
    const t = template(app('debug-datastores'));
    const groups = resources(t, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(groups.map((g) => g.Properties.Port)).toEqual([3000]);
    t.resourceCountIs('AWS::RDS::DBInstance', 1);
  });

  it('a TCP entry gets a Network Load Balancer listener, never an HTTP target group', () => {
    const t = template(app('game-server'));
    const groups = resources(t, 'AWS::ElasticLoadBalancingV2::TargetGroup').map(
      (g) => `${g.Properties.Protocol}/${g.Properties.Port}`,
    );
    expect(groups.sort()).toEqual(['HTTP/8123', 'TCP/25565']);
    const listeners = resources(t, 'AWS::ElasticLoadBalancingV2::Listener').map(
      (l) => `${l.Properties.Protocol}/${l.Properties.Port}`,
    );
    expect(listeners.sort()).toEqual(['HTTP/80', 'TCP/25565']);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internet-facing',
    });
    // The NLB's group admits the internet on 25565 only; the service admits the NLB's group on 25565.
    const nlb = groupId(t, 'PublicNetworkLoadBalancerSecurityGroup');
    const svc = groupId(t, 'minecraftSecurityGroup');
    const rules = allRules(t);
    expect(
      rules.filter((r) => r.group === nlb && r.direction === 'ingress').map((r) => `${r.cidr}:${r.fromPort}`),
    ).toEqual(['0.0.0.0/0:25565']);
    expect(
      rules.some(
        (r) => r.group === svc && r.direction === 'ingress' && r.peerGroup === nlb && r.fromPort === 25565,
      ),
    ).toBe(true);
  });

  it('TCP and UDP on one published port are one TCP_UDP listener (an NLB allows one per port)', () => {
    const t = template(app('udp-dns'));
    const listeners = resources(t, 'AWS::ElasticLoadBalancingV2::Listener').map(
      (l) => `${l.Properties.Protocol}/${l.Properties.Port}`,
    );
    expect(listeners).toEqual(['TCP_UDP/53']);
    const groups = resources(t, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(groups.map((g) => `${g.Properties.Protocol}/${g.Properties.Port}`)).toEqual(['TCP_UDP/5353']);
    // The container maps both transports; the internet reaches the NLB on both.
    const task = resources(t, 'AWS::ECS::TaskDefinition')[0]!;
    const mappings = (
      task.Properties.ContainerDefinitions as {
        PortMappings: { ContainerPort: number; Protocol: string }[];
      }[]
    )[0]!.PortMappings;
    expect(mappings.map((m) => `${m.Protocol}/${m.ContainerPort}`).sort()).toEqual(['tcp/5353', 'udp/5353']);
    const fromInternet = resources(t, 'AWS::EC2::SecurityGroup')
      .flatMap((g) => (g.Properties.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? [])
      .filter((r) => r.CidrIp === '0.0.0.0/0');
    expect(fromInternet.map((r) => `${String(r.IpProtocol)}/${String(r.FromPort)}`).sort()).toEqual([
      'tcp/53',
      'udp/53',
    ]);
  });

  it("a caller's ECS service waits for its callee's (Service Connect must know the callee first)", () => {
    const t = proxyApiTemplate();
    const ids = Object.entries(t.toJSON().Resources as Record<string, Resource & { DependsOn?: string[] }>);
    const service = (name: string) =>
      ids.find(([id, r]) => r.Type === 'AWS::ECS::Service' && id.startsWith(`App${name}Service`))!;
    const [apiId] = service('api');
    expect(service('proxy')[1].DependsOn).toContain(apiId);
    expect(service('api')[1].DependsOn ?? []).not.toContain(service('proxy')[0]);
  });

  it('the catch-all goes to the entry (the proxy), not to the API published for debugging', () => {
    const t = template(app('proxy-api'));
    const groups = resources(t, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(groups.map((g) => g.Properties.Port)).toEqual([8080]);
    const rules = resources(t, 'AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(rules).toHaveLength(1);
    expect(JSON.stringify(rules[0]!.Properties.Conditions)).toContain('/*');
    expect(JSON.stringify(rules[0]!.Properties.Actions)).toContain('proxyTargetGroup');
  });

  it('with two entries, the catch-all is the one the model chose; the other is routed by host header', () => {
    const rules = resources(template(app('two-entries')), 'AWS::ElasticLoadBalancingV2::ListenerRule');
    const byPath = rules.find((r) => JSON.stringify(r.Properties.Conditions).includes('/*'))!;
    expect(JSON.stringify(byPath.Properties.Actions)).toContain('siteTargetGroup');
    expect(byPath.Properties.Priority).toBe(50_000);
    const byHost = rules.find((r) => JSON.stringify(r.Properties.Conditions).includes('host-header'))!;
    expect(JSON.stringify(byHost.Properties.Conditions)).toContain('admin.*');
  });

  it('a host named only in an environment value gets its security group edge', () => {
    const t = template(app('web-cache', 'root-user'));
    const web = groupId(t, 'webSecurityGroup');
    const redis = groupId(t, 'redisSecurityGroup');
    const into = allRules(t).filter((r) => r.group === redis && r.direction === 'ingress');
    expect(into.map((r) => `${r.peerGroup}:${r.fromPort}`)).toEqual([`${web}:6379`]);
  });

  it('a JDBC URL reaches the managed database: one ingress rule from its caller on 5432', () => {
    const t = template(app('jdbc-backend'));
    const backend = groupId(t, 'backendSecurityGroup');
    const db = groupId(t, 'dbSecurityGroup');
    const into = allRules(t).filter((r) => r.group === db && r.direction === 'ingress');
    expect(into.map((r) => `${r.peerGroup}:${r.fromPort}`)).toEqual([`${backend}:5432`]);
  });

  it('a service with compose secrets mounts them read-only at /run/secrets, written by the init container', () => {
    const t = template(app('file-secrets', 'root-user'));
    const tasks = resources(t, 'AWS::ECS::TaskDefinition');
    // db (mariadb) is RDS now: only the backend is a task, and the compose secret that is db's
    // password carries the RDS generated password (no secret of its own).
    expect(tasks.map((x) => JSON.stringify(x).includes('"Name":"db"'))).not.toContain(true);
    const task = tasks.find((x) => JSON.stringify(x).includes('"Name":"backend"'))!;
    const [container, init] = task.Properties.ContainerDefinitions as Array<Record<string, unknown>>;
    expect(container!.MountPoints).toContainEqual({
      ContainerPath: '/run/secrets',
      ReadOnly: true,
      SourceVolume: 'compose-secrets',
    });
    expect(init!.Name).toBe('shipshape-init');
    expect(String((init!.Command as string[])[2])).toContain('/run/secrets/db-password');
    expect(JSON.stringify(init!.Secrets)).toMatch(/dbDatastoreInstanceSecretAttachment.*:password::/);
    // The *_FILE variable stays a path; no random value replaces it.
    const env = (container!.Environment as Array<{ Name: string; Value: string }>) ?? [];
    expect(env.find((e) => e.Name === 'DB_PASSWORD_FILE')?.Value).toBe('/run/secrets/db-password');
    expect(((container!.Secrets as Array<{ Name: string }>) ?? []).map((s) => s.Name)).not.toContain(
      'DB_PASSWORD_FILE',
    );
    t.resourceCountIs('AWS::RDS::DBInstance', 1);
    t.resourceCountIs('AWS::SecretsManager::Secret', 1); // the database's generated one
  });

  it('never runs a container as root without the acknowledgement', () => {
    expect(() => template(app('root-users'))).toThrowError(ShipshapeError);
    try {
      template(app('root-users'));
    } catch (e) {
      const err = e as ShipshapeError;
      expect([err.path, ...err.more.map((d) => d.path)]).toEqual([
        'services.uid0.build',
        'services.rootroot.build',
        'services.zerozero.build',
        'services.nouser.build',
      ]);
    }
    for (const name of [
      'web-cache',
      'file-secrets',
      'jdbc-backend',
      'proxy-api',
      'bind-mounts',
      'game-server',
    ]) {
      const t = template(app(name, 'root-user'));
      for (const task of resources(t, 'AWS::ECS::TaskDefinition')) {
        const [container] = task.Properties.ContainerDefinitions as Array<{ User?: string; Name: string }>;
        expect(
          ['0', 'root'].includes((container!.User ?? '').split(':')[0]!),
          `${name}/${container!.Name}`,
        ).toBe(false);
      }
    }
  });

  it('ECS services and containers carry the compose service names', () => {
    const t = template(app('jdbc-backend'));
    const names = resources(t, 'AWS::ECS::Service')
      .map((s) => s.Properties.ServiceName)
      .sort();
    expect(names).toEqual(['backend', 'frontend']);
  });

  it('refuses host-only settings with the reason and the fix, all at once', () => {
    let err: ShipshapeError | undefined;
    try {
      template(app('host-settings'));
    } catch (e) {
      err = e as ShipshapeError;
    }
    expect(err?.message).toMatch(/3 setting\(s\) cannot go to the cloud/);
    expect([err!.hint, ...err!.more.map((d) => d.hint)]).toEqual([
      'remove `pid: host`',
      'remove `ipc: host`',
      expect.stringContaining('local-only'),
    ]);
  });
});
