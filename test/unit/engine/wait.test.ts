import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { Wait, healthcheckArgv, type ContainerInfo } from '../../../src/engine/wait.js';

/** An engine that must not be called: these looks are decided from the inspected state alone. */
const noEngine = new Proxy({} as Docker, {
  get: () => {
    throw new Error('the engine was called');
  },
});

function info(state: Partial<ContainerInfo['State']>, healthcheck?: { Test: string[] }): ContainerInfo {
  return {
    Id: 'c1',
    State: {
      Status: 'running',
      Running: true,
      Restarting: false,
      ExitCode: 0,
      StartedAt: new Date(Date.now() - 60_000).toISOString(),
      ...state,
    },
    Config: { User: '1000', ...(healthcheck ? { Healthcheck: healthcheck } : {}) },
  } as unknown as ContainerInfo;
}

describe('healthcheckArgv', () => {
  it('runs CMD directly, CMD-SHELL through /bin/sh -c, and nothing for NONE', () => {
    expect(healthcheckArgv(['CMD', 'curl', '-f', 'http://localhost'])).toEqual([
      'curl',
      '-f',
      'http://localhost',
    ]);
    expect(healthcheckArgv(['CMD-SHELL', 'pg_isready -U $USER'])).toEqual([
      '/bin/sh',
      '-c',
      'pg_isready -U $USER',
    ]);
    expect(healthcheckArgv(['NONE'])).toBeUndefined();
    expect(healthcheckArgv(undefined)).toBeUndefined();
  });
});

describe('wait strategies for depends_on conditions', () => {
  it('service_healthy without a healthcheck means running for a second (the same rule in up and slim)', async () => {
    const healthy = Wait.forCondition('service_healthy');
    expect(await healthy.check(noEngine, info({}))).toEqual({ state: 'ready' });
    // Just started: not yet — a program that exits at once must be caught, not taken for a server.
    expect(await healthy.check(noEngine, info({ StartedAt: new Date().toISOString() }))).toEqual({
      state: 'waiting',
    });
    expect(await healthy.check(noEngine, info({}, { Test: ['NONE'] }))).toEqual({ state: 'ready' });
    expect(await healthy.check(noEngine, info({ Status: 'created', Running: false }))).toEqual({
      state: 'waiting',
    });
  });

  it('service_healthy fails for good on an exit, a restart loop or the engine saying unhealthy', async () => {
    const healthy = Wait.forCondition('service_healthy');
    const hc = { Test: ['CMD', 'true'] };
    expect(
      await healthy.check(noEngine, info({ Status: 'exited', Running: false, ExitCode: 3 }, hc)),
    ).toEqual({
      state: 'failed',
      reason: 'exited with code 3',
    });
    expect(await healthy.check(noEngine, info({ Restarting: true }, hc))).toEqual({
      state: 'failed',
      reason: 'keeps restarting',
    });
    const unhealthy = info({ Health: { Status: 'unhealthy' } } as Partial<ContainerInfo['State']>, hc);
    expect(await healthy.check(noEngine, unhealthy)).toEqual({ state: 'failed', reason: 'is unhealthy' });
    const engineHealthy = info({ Health: { Status: 'healthy' } } as Partial<ContainerInfo['State']>, hc);
    expect(await healthy.check(noEngine, engineHealthy)).toEqual({ state: 'ready' });
  });

  it('service_completed_successfully waits for an exit and wants code 0; service_started is ready at once', async () => {
    const done = Wait.forCondition('service_completed_successfully');
    expect(await done.check(noEngine, info({}))).toEqual({ state: 'waiting' });
    expect(await done.check(noEngine, info({ Status: 'exited', Running: false, ExitCode: 0 }))).toEqual({
      state: 'ready',
    });
    expect(await done.check(noEngine, info({ Status: 'exited', Running: false, ExitCode: 2 }))).toEqual({
      state: 'failed',
      reason: 'exited with code 2',
    });
    expect(await Wait.forCondition('service_started').check(noEngine, info({ Running: false }))).toEqual({
      state: 'ready',
    });
  });
});
