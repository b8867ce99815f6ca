import { describe, expect, it } from 'vitest';
import {
  SeenEvents,
  lastPerService,
  logLine,
  mergeByTime,
  parseSince,
  sourceLabel,
  stoppedLine,
  type CloudLogLine,
} from '../../../src/cloud/logs.js';

const web = { service: 'web', group: 'web-api-dev-AppwebServiceLogs', prefix: 'web' };
const api = { service: 'api', group: 'web-api-dev-AppapiServiceLogs', prefix: 'api' };
const TASK = '3f2a1b9c0d1e4f5a6b7c8d9e0f1a2b3c';

describe('cloud logs: pure parts', () => {
  it('--since takes durations and ISO times; anything else is bad input (exit 2)', () => {
    const now = Date.parse('2026-12-02T12:00:00Z');
    expect(parseSince('10m', now)).toBe(now - 600_000);
    expect(parseSince('90s', now)).toBe(now - 90_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('1d', now)).toBe(now - 86_400_000);
    expect(parseSince('1W', now)).toBe(now - 604_800_000);
    expect(parseSince('2026-12-01T08:00:00Z', now)).toBe(Date.parse('2026-12-01T08:00:00Z'));
    expect(() => parseSince('yesterday', now)).toThrow(expect.objectContaining({ exitCode: 2 }));
    expect(() => parseSince('10', now)).toThrow(/not a duration or a time/);
  });

  it('a line is labelled like compose: service and task, and the helper container when not the main one', () => {
    expect(sourceLabel('web', 'web', TASK)).toBe('web-3f2a1b9c');
    expect(sourceLabel('web', 'secrets-init', TASK)).toBe('web-3f2a1b9c/secrets-init');
    expect(sourceLabel('web', 'web', undefined)).toBe('web');
    expect(logLine(web, { timestamp: 5, message: 'GET / 200\n', logStreamName: `web/web/${TASK}` })).toEqual({
      timestamp: 5,
      source: 'web-3f2a1b9c',
      service: 'web',
      container: 'web',
      taskId: TASK,
      kind: 'log',
      text: 'GET / 200',
    });
  });

  it('a stopped task becomes a line at its stop time with the reason and the exit codes', () => {
    const line = stoppedLine('api', {
      taskArn: `arn:aws:ecs:us-east-1:1:task/c/${TASK}`,
      taskId: TASK,
      stoppedAt: '2026-12-02T12:00:01.000Z',
      stoppedReason: 'Essential container in task exited',
      containers: [
        { name: 'api', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
        { name: 'secrets-init', exitCode: 0 },
      ],
    });
    expect(line).toMatchObject({
      timestamp: Date.parse('2026-12-02T12:00:01.000Z'),
      source: 'api-3f2a1b9c',
      kind: 'stopped',
      text: 'task stopped: Essential container in task exited; api exit 137 (OutOfMemoryError: Container killed due to memory usage), secrets-init exit 0',
    });
  });

  it('merges the services’ streams in time order; lines at the same millisecond keep their order', () => {
    const at = (service: typeof web, t: number, text: string) =>
      logLine(service, {
        timestamp: t,
        message: text,
        logStreamName: `${service.prefix}/${service.prefix}/${TASK}`,
      });
    const webLines = [at(web, 10, 'w1'), at(web, 30, 'w2'), at(web, 30, 'w3')];
    const apiLines = [at(api, 5, 'a1'), at(api, 30, 'a2'), at(api, 40, 'a3')];
    expect(mergeByTime([...webLines, ...apiLines]).map((l) => l.text)).toEqual([
      'a1',
      'w1',
      'w2',
      'w3',
      'a2',
      'a3',
    ]);
  });

  it('-n keeps the last N lines of each service, still in time order', () => {
    const lines: CloudLogLine[] = [5, 10, 15, 20, 25, 30].map((t, i) =>
      logLine(i % 3 === 0 ? api : web, { timestamp: t, message: `${t}`, logStreamName: 'x/x/1' }),
    );
    // api: 5, 20; web: 10, 15, 25, 30
    expect(lastPerService(lines, 2).map((l) => `${l.service}:${l.text}`)).toEqual([
      'api:5',
      'api:20',
      'web:25',
      'web:30',
    ]);
    expect(lastPerService(lines, 0)).toEqual([]);
  });

  it('following: overlapping polls print each event once, and old ids are forgotten', () => {
    const seen = new SeenEvents();
    const e = (id: string, t: number, stream = 'api/api/1') => ({
      eventId: id,
      timestamp: t,
      logStreamName: stream,
    });
    expect(seen.fresh('g', [e('1', 100), e('2', 200)]).map((x) => x.eventId)).toEqual(['1', '2']);
    expect(seen.fresh('g', [e('2', 200), e('3', 300)]).map((x) => x.eventId)).toEqual(['3']);
    // The same id in another stream or group is another event.
    expect(seen.fresh('g', [e('3', 300, 'api/api/2')])).toHaveLength(1);
    expect(seen.fresh('h', [e('3', 300)])).toHaveLength(1);
    seen.forgetBefore(250);
    expect(seen.size).toBe(3);
  });
});
