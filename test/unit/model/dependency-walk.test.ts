/**
 * The one dependency walker (src/model/graph.ts) that up, up --fargate and slim share: per-dependant
 * conditions as compose has them, independent services side by side, the first failure reported
 * at once and rethrown.
 */
import { describe, expect, it } from 'vitest';
import { inDependencyOrder, type ConditionalNode } from '../../../src/model/graph.js';

type C = 'started' | 'healthy' | 'completed';
const tick = () => new Promise((r) => setTimeout(r, 5));

function walk(services: ConditionalNode<C>[], fail?: string) {
  const events: string[] = [];
  const visitor = {
    start: async (s: string) => {
      events.push(`start ${s}`);
      await tick();
    },
    ready: async (s: string, c: C) => {
      await tick();
      if (s === fail) throw new Error(`${s} failed`);
      events.push(`${s} ${c}`);
    },
    failed: (e: unknown) => events.push(`failed: ${(e as Error).message}`),
  };
  const own = (s: string): C => (s === 'migrate' ? 'completed' : 'healthy');
  return {
    events,
    run: inDependencyOrder(
      services,
      services.map((s) => s.name),
      own,
      visitor,
    ),
  };
}

const app: ConditionalNode<C>[] = [
  { name: 'db', dependsOn: [] },
  { name: 'cache', dependsOn: [] },
  { name: 'migrate', dependsOn: [{ service: 'db', condition: 'healthy' }] },
  {
    name: 'web',
    dependsOn: [
      { service: 'migrate', condition: 'completed' },
      { service: 'cache', condition: 'started' },
    ],
  },
  // Another dependant of the cache asks for a different condition: each waits for its own.
  { name: 'worker', dependsOn: [{ service: 'cache', condition: 'healthy' }] },
];

describe('inDependencyOrder', () => {
  it('starts each service once its dependencies meet the condition it names; the rest side by side', async () => {
    const { events, run } = walk(app);
    await run;
    const at = (e: string) => events.indexOf(e);
    expect(at('start db')).toBeLessThan(at('db healthy'));
    expect(at('db healthy')).toBeLessThan(at('start migrate'));
    expect(at('migrate completed')).toBeLessThan(at('start web'));
    expect(at('cache started')).toBeLessThan(at('start web'));
    expect(at('cache healthy')).toBeLessThan(at('start worker'));
    // db and cache depend on nothing: both start before anything waits.
    expect(events.slice(0, 2).sort()).toEqual(['start cache', 'start db']);
    // One wait per service and condition.
    expect(events.filter((e) => e === 'cache healthy')).toHaveLength(1);
  });

  it('a failure is reported at once and rethrown; what waited on it never starts', async () => {
    const { events, run } = walk(app, 'db');
    await expect(run).rejects.toThrow('db failed');
    expect(events.filter((e) => e.startsWith('failed:'))).toEqual(['failed: db failed']);
    expect(events).not.toContain('start migrate');
    expect(events).not.toContain('start web');
  });
});
