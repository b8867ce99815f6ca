/**
 * The runtime spec (src/runtime/task.ts) and its two renderings: `up`'s container (Docker) and
 * synth's task definition (ECS) come from one decision, so they agree on user, read-only root,
 * writable paths, capabilities, health check and the init container.
 */
import { assertCloudReady } from '../../../src/model/gate.js';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { serviceContainerSpec } from '../../../src/engine/container-spec.js';
import { ComposeApp } from '../../../src/infra/compose-app.js';
import { capabilityChanges } from '../../../src/infra/task-definition.js';
import { loadApp } from '../../../src/model/load.js';
import type { AppModel } from '../../../src/model/types.js';
import { DEFAULT_CAPABILITIES, taskRuntime } from '../../../src/runtime/task.js';
import { composeDir } from '../../support/compose-dir.js';

const app = loadApp([], {
  cwd: composeDir({
    'compose.yaml': `name: shop
services:
  web:
    image: example/web:1
    user: '1000:1000'
    ports: ['8080:8080']
    secrets:
      - source: api-key
        target: /run/secrets/nested/api-key
    tmpfs: ['/var/cache/web:mode=0700,uid=1000']
    healthcheck: { test: ['CMD', 'true'], interval: 10s }
  proxy:
    image: nginx:1.27
    user: root
    ports: ['80:80']
    x-shipshape:
      acknowledge: [{ rule: root-user, reason: 'the proxy binds 80 and drops to its workers' }]
secrets:
  api-key: { file: ./key.txt }
`,
    'key.txt': 'k',
  }),
  env: {},
});
const svc = (name: string) => app.services.find((s) => s.name === name)!;

function taskDefinitions(model: AppModel): Record<string, Record<string, unknown>[]> {
  const stack = new Stack(new App(), 'T', { env: { region: 'us-east-1' } });
  new ComposeApp(stack, 'App', { app: assertCloudReady(model) });
  const tasks = Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition');
  return Object.fromEntries(
    Object.values(tasks).map((t) => {
      const containers = t.Properties.ContainerDefinitions as Record<string, unknown>[];
      return [String(containers[0]!.Name), containers];
    }),
  );
}

describe('the runtime spec', () => {
  it('a non-root app with a secret and scratch paths gets an init container that prepares them', () => {
    const task = taskRuntime(svc('web'));
    expect(task.containers.map((c) => `${c.name}:${c.role}`)).toEqual(['web:app', 'shipshape-init:init']);
    const [app, init] = task.containers;
    expect(app!.dependsOn).toEqual([{ container: 'shipshape-init', condition: 'SUCCESS' }]);
    expect(app!.mounts.map((m) => `${m.path}${m.readOnly ? ':ro' : ''}`)).toEqual([
      '/tmp',
      '/var/cache/web',
      '/run/secrets:ro',
    ]);
    expect(init!.capabilities).toEqual(['CHOWN']);
    expect(init!.user).toBe('0');
    const script = init!.command![2]!;
    // Each chmod comes before the chown that gives the file away (root has no FOWNER).
    expect(script).toMatch(
      /chmod 0400 '\/run\/secrets\/nested\/api-key'\nchown 1000:1000 '\/run\/secrets\/nested\/api-key'/,
    );
    expect(script).toMatch(/chmod 1777 '\/shipshape\/volumes\/scratch0'\n/); // /tmp
    expect(script).toMatch(
      /chmod 0700 '\/shipshape\/volumes\/scratch1'\nchown 1000:1000 '\/shipshape\/volumes\/scratch1'/,
    );
  });

  it('a root process below 1024 keeps NET_BIND_SERVICE, and nothing else; no init container', () => {
    const task = taskRuntime(svc('proxy'));
    expect(task.containers).toHaveLength(1);
    expect(task.containers[0]!.capabilities).toEqual(['NET_BIND_SERVICE']);
    expect(capabilityChanges(['NET_BIND_SERVICE']).drop).toEqual(
      DEFAULT_CAPABILITIES.filter((c) => c !== 'NET_BIND_SERVICE'),
    );
    expect(capabilityChanges([])).toEqual({ drop: ['ALL'], add: [] });
    expect(capabilityChanges(['SYS_PTRACE'])).toEqual({ drop: ['ALL'], add: ['SYS_PTRACE'] });
  });
});

describe('both renderings of one spec agree', () => {
  const ecs = taskDefinitions(app);
  const docker = (name: string) =>
    serviceContainerSpec({ app, service: svc(name), name, image: 'x', labels: {}, volumeName: (v) => v });

  it.each(['web', 'proxy'])(
    '%s: user, read-only root, writable paths, capabilities, health check',
    (name) => {
      const local = docker(name);
      const [cloud] = ecs[name]!;
      expect(cloud!.User).toBe(local.User);
      expect(cloud!.ReadonlyRootFilesystem).toBe(local.HostConfig!.ReadonlyRootfs);
      // Writable paths: tmpfs here, task volumes there.
      const cloudPaths = (cloud!.MountPoints as { ContainerPath: string; ReadOnly: boolean }[])
        .filter((m) => !m.ReadOnly)
        .map((m) => m.ContainerPath)
        .sort();
      expect(cloudPaths).toEqual(Object.keys(local.HostConfig!.Tmpfs ?? {}).sort());
      // Capabilities: Docker drops ALL and adds the kept ones; ECS drops all but the kept ones.
      expect(local.HostConfig!.CapDrop).toEqual(['ALL']);
      const kept = local.HostConfig!.CapAdd!;
      const drop = (cloud!.LinuxParameters as { Capabilities: { Drop: string[] } }).Capabilities.Drop;
      expect(drop).toEqual(
        kept.length === 0 ? ['ALL'] : DEFAULT_CAPABILITIES.filter((c) => !kept.includes(c)),
      );
      expect((cloud!.HealthCheck as { Command?: string[] } | undefined)?.Command).toEqual(
        local.Healthcheck?.Test,
      );
    },
  );

  it('web: the secret arrives as a file in both (a bind here, the init container there)', () => {
    const local = docker('web');
    expect(local.HostConfig!.Mounts).toContainEqual(
      expect.objectContaining({ Type: 'bind', Target: '/run/secrets/nested/api-key', ReadOnly: true }),
    );
    const [cloud, init] = ecs.web!;
    expect(cloud!.MountPoints).toContainEqual({
      ContainerPath: '/run/secrets',
      ReadOnly: true,
      SourceVolume: 'compose-secrets',
    });
    expect(init!.Name).toBe('shipshape-init');
    expect(String((init!.Command as string[])[2])).toContain("> '/run/secrets/nested/api-key'");
  });
});
