import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { RunScope } from '../../../src/engine/run-scope.js';
import { InterruptedError } from '../../../src/support/cleanup.js';

/** An engine that records what it was asked, and answers lists with what was "created". */
function recordingEngine() {
  const calls: string[] = [];
  const created: string[] = [];
  const docker = {
    listContainers: async () => {
      calls.push(`list containers (${created.join(',')})`);
      return [];
    },
    listNetworks: async () => {
      calls.push('list networks');
      return [];
    },
    listVolumes: async () => ({ Volumes: [] }),
  } as unknown as Docker;
  return { docker, calls, created };
}

describe('RunScope', () => {
  it('labels what the run creates with its own id', () => {
    const { docker } = recordingEngine();
    const a = new RunScope(docker, 'io.shipshape.run');
    const b = new RunScope(docker, 'io.shipshape.run');
    expect(Object.keys(a.labels)).toEqual(['io.shipshape.run']);
    expect(a.labels['io.shipshape.run']).toMatch(/^[0-9a-f]{12}$/);
    expect(a.labels['io.shipshape.run']).not.toBe(b.labels['io.shipshape.run']);
  });

  it('undo waits for creates in flight before it sweeps, and refuses new ones', async () => {
    const { docker, calls, created } = recordingEngine();
    const scope = new RunScope(docker, 'io.shipshape.run');
    let land!: () => void;
    const inFlight = scope.create(
      () =>
        new Promise<string>((resolve) => {
          land = () => {
            created.push('net-1');
            calls.push('created net-1');
            resolve('net-1');
          };
        }),
    );
    const undone = scope.undo();
    expect(scope.undoing).toBe(true);
    await expect(scope.create(async () => 'net-2')).rejects.toBeInstanceOf(InterruptedError);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([]); // nothing swept while the create is still on its way
    land();
    await expect(inFlight).resolves.toBe('net-1');
    await undone;
    expect(calls).toEqual(['created net-1', 'list containers (net-1)', 'list networks']);
  });

  it('reports errors caused by the interrupt as the interrupt', async () => {
    const { docker } = recordingEngine();
    const scope = new RunScope(docker, 'io.shipshape.run');
    const notFound = new Error('no such container');
    expect(scope.failure(notFound)).toBe(notFound);
    await scope.undo();
    expect(scope.failure(notFound)).toBeInstanceOf(InterruptedError);
  });
});
