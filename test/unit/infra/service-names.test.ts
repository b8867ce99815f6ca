import { describe, expect, it } from 'vitest';
import { ecsHealthCheck, portName } from '../../../src/infra/service.js';

describe('names ECS accepts', () => {
  it('port mapping names are lowercase letters, digits, _ and - only', () => {
    expect(portName('api', 5000)).toBe('api-5000');
    expect(portName('My.Service', 80)).toBe('my-service-80');
    expect(portName('x'.repeat(100), 8080)).toHaveLength(64);
    expect(portName('x'.repeat(100), 8080)).toMatch(/-8080$/);
  });
});

describe('health checks ECS accepts', () => {
  const base = { test: ['CMD-SHELL', 'true'], retries: 3, startPeriodMs: 0, disabled: false };
  it('clamps into ECS ranges and keeps the timeout below the interval', () => {
    const hc = ecsHealthCheck({
      ...base,
      intervalMs: 1000,
      timeoutMs: 100_000,
      retries: 50,
      startPeriodMs: 900_000,
    })!;
    expect(hc.interval!.toSeconds()).toBe(5);
    expect(hc.timeout!.toSeconds()).toBe(4);
    expect(hc.retries).toBe(10);
    expect(hc.startPeriod!.toSeconds()).toBe(300);
  });
  it('keeps compose values that fit', () => {
    const hc = ecsHealthCheck({ ...base, intervalMs: 10_000, timeoutMs: 3000, startPeriodMs: 5000 })!;
    expect([
      hc.interval!.toSeconds(),
      hc.timeout!.toSeconds(),
      hc.retries,
      hc.startPeriod!.toSeconds(),
    ]).toEqual([10, 3, 3, 5]);
    expect(hc.command).toEqual(['CMD-SHELL', 'true']);
  });
  it('has none when compose disables it', () => {
    expect(
      ecsHealthCheck({ ...base, test: ['NONE'], intervalMs: 0, timeoutMs: 0, disabled: true }),
    ).toBeUndefined();
    expect(ecsHealthCheck(undefined)).toBeUndefined();
  });
});
