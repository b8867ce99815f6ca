import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FARGATE_SIZE, fargateSize } from '../../../src/infra/fargate.js';

const MiB = 1024 * 1024;

describe('fargateSize', () => {
  it('uses the smallest task when compose sets no limits', () => {
    expect(fargateSize(undefined, undefined)).toEqual(DEFAULT_FARGATE_SIZE);
  });

  it('keeps an exact valid pair as is', () => {
    expect(fargateSize(0.25, 512 * MiB)).toEqual({ cpu: 256, memoryMiB: 512, roundedUp: false });
    expect(fargateSize(1, 2048 * MiB)).toEqual({ cpu: 1024, memoryMiB: 2048, roundedUp: false });
  });

  it('rounds up cpu and memory to the next valid pair', () => {
    // hello-lb: 0.5 cpu, 128M → 512 cpu needs at least 1 GiB.
    expect(fargateSize(0.5, 128 * MiB)).toEqual({ cpu: 512, memoryMiB: 1024, roundedUp: true });
    expect(fargateSize(0.3, 700 * MiB)).toEqual({ cpu: 512, memoryMiB: 1024, roundedUp: true });
    // 0.25 vCPU cannot have 3 GiB: move to 0.5 vCPU.
    expect(fargateSize(0.25, 3 * 1024 * MiB)).toEqual({ cpu: 512, memoryMiB: 3072, roundedUp: true });
    expect(fargateSize(3, undefined)).toEqual({ cpu: 4096, memoryMiB: 8192, roundedUp: true });
  });

  it('refuses more than the largest Fargate task', () => {
    expect(() => fargateSize(32, undefined)).toThrow(RangeError);
    expect(() => fargateSize(1, 200 * 1024 * MiB)).toThrow(/largest is 16 vCPU/);
  });

  it('never gives less than asked for (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 16, noNaN: true }),
        fc.integer({ min: 1, max: 120 * 1024 }),
        (cpus, mem) => {
          const size = fargateSize(cpus, mem * MiB);
          expect(size.cpu).toBeGreaterThanOrEqual(cpus * 1024 - 1e-6);
          expect(size.memoryMiB).toBeGreaterThanOrEqual(mem);
        },
      ),
    );
  });
});
