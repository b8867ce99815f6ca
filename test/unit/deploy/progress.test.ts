import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { friendlyResource, plainLine, StackBoard, statusKind } from '../../../src/deploy/progress.js';

const c = pc.createColors(false);
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s));
const ev = (id: string, status: string, s: number, extra: Record<string, unknown> = {}) => ({
  event: {
    StackName: 'web-api-dev',
    LogicalResourceId: id,
    ResourceType: 'AWS::ECS::Service',
    ResourceStatus: status,
    Timestamp: at(s),
    ...extra,
  },
  constructPath: `web-api-dev/App/${id}/Resource`,
});

describe('StackBoard', () => {
  it('keeps one row per resource, its latest status and reason', () => {
    const b = new StackBoard();
    b.add(ev('web', 'CREATE_IN_PROGRESS', 1));
    b.add(ev('api', 'CREATE_IN_PROGRESS', 2));
    b.add(ev('web', 'CREATE_COMPLETE', 3));
    expect(b.all().map((r) => `${r.resource} ${r.status}`)).toEqual([
      'App/web CREATE_COMPLETE',
      'App/api CREATE_IN_PROGRESS',
    ]);
  });

  it('lists failures first-first with their reasons (later ones are usually cancellations)', () => {
    const b = new StackBoard();
    b.add(ev('api', 'CREATE_FAILED', 5, { ResourceStatusReason: 'Resource creation cancelled' }));
    b.add(ev('web', 'CREATE_FAILED', 4, { ResourceStatusReason: 'Invalid request provided: port 99999' }));
    b.add({
      event: {
        StackName: 'web-api-dev',
        LogicalResourceId: 'web-api-dev',
        ResourceType: 'AWS::CloudFormation::Stack',
        ResourceStatus: 'ROLLBACK_IN_PROGRESS',
        ResourceStatusReason: 'x',
        Timestamp: at(6),
      },
    });
    expect(b.failures().map((r) => r.reason)).toEqual([
      'Invalid request provided: port 99999',
      'Resource creation cancelled',
    ]);
  });

  it('renders a header with progress, open resources with reasons, within the height', () => {
    const b = new StackBoard();
    for (let i = 0; i < 30; i++)
      b.add({ ...ev(`r${i}`, 'CREATE_COMPLETE', i), progress: { completed: i + 1, total: 40 } });
    b.add(ev('slow', 'CREATE_IN_PROGRESS', 31, { ResourceStatusReason: 'Resource creation Initiated' }));
    const lines = b.render(c, 10, 200);
    expect(lines[0]).toBe('web-api-dev  30/40 resources  ');
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(
      lines.some((l) =>
        /CREATE_IN_PROGRESS\s+App\/slow \(AWS::ECS::Service\) {2}Resource creation Initiated/.test(l),
      ),
    ).toBe(true);
    expect(lines.some((l) => l.includes('App/r29'))).toBe(true);
    expect(lines.some((l) => l.includes('App/r0 '))).toBe(false); // old completions give way
  });

  it('clips long lines to the terminal width', () => {
    const b = new StackBoard();
    b.add(ev('x', 'CREATE_FAILED', 1, { ResourceStatusReason: 'y'.repeat(500) }));
    for (const l of b.render(c, 20, 80)) expect(l.length).toBeLessThanOrEqual(80);
  });
});

describe('plain lines and names', () => {
  it('one line per event for logs and pipes', () => {
    const b = new StackBoard();
    const row = b.add(ev('web', 'CREATE_FAILED', 7, { ResourceStatusReason: 'boom' }));
    expect(plainLine(row)).toBe('12:00:07 web-api-dev CREATE_FAILED AWS::ECS::Service App/web boom');
  });

  it('status kinds and friendly construct paths', () => {
    expect(
      ['CREATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'DELETE_IN_PROGRESS', 'CREATE_FAILED'].map(statusKind),
    ).toEqual(['done', 'failed', 'active', 'failed']);
    expect(friendlyResource('web-api-dev/App/web/Service/Service/Resource', 'X')).toBe(
      'App/web/Service/Service',
    );
    expect(friendlyResource(undefined, 'AppwebService1234')).toBe('AppwebService1234');
  });
});

describe('DeployIoHost without a terminal', () => {
  it('prints one plain line per stack event, keeps errors, and confirms deploys shipshape already reviewed', async () => {
    const { DeployIoHost } = await import('../../../src/deploy/io-host.js');
    const out: string[] = [];
    const io = new DeployIoHost({ tty: false, write: (t) => out.push(t) });
    const base = { time: at(0), action: 'deploy' as const };
    await io.notify({
      ...base,
      level: 'info',
      code: 'CDK_TOOLKIT_I5502',
      message: '',
      data: {
        event: ev('web', 'CREATE_COMPLETE', 9).event,
        metadata: { constructPath: 'web-api-dev/App/web/Resource' },
      },
    });
    await io.notify({ ...base, level: 'error', message: 'web-api-dev failed: boom', data: undefined });
    await io.notify({ ...base, level: 'info', message: 'chatter', data: undefined });
    expect(out).toEqual([
      '12:00:09 web-api-dev CREATE_COMPLETE AWS::ECS::Service App/web\n',
      'web-api-dev failed: boom\n',
    ]);
    expect(io.errors).toEqual(['web-api-dev failed: boom']);
    const confirm = {
      ...base,
      level: 'info' as const,
      code: 'CDK_TOOLKIT_I5060' as const,
      message: 'deploy?',
      data: {},
      defaultResponse: false,
    };
    expect(await io.requestResponse(confirm)).toBe(true);
  });
});
