/**
 * Fargate accepts only certain cpu/memory pairs. Compose `deploy.resources.limits` says what the
 * service needs; we round *up* to the smallest valid pair that gives at least that much of both,
 * so a task never gets less than compose asked for.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html
 */

/** Valid memory sizes (MiB) per Fargate cpu unit value. */
const FARGATE_SIZES: ReadonlyArray<{ cpu: number; memory: number[] }> = [
  { cpu: 256, memory: [512, 1024, 2048] },
  { cpu: 512, memory: range(1024, 4096, 1024) },
  { cpu: 1024, memory: range(2048, 8192, 1024) },
  { cpu: 2048, memory: range(4096, 16384, 1024) },
  { cpu: 4096, memory: range(8192, 30720, 1024) },
  { cpu: 8192, memory: range(16384, 61440, 4096) },
  { cpu: 16384, memory: range(32768, 122880, 8192) },
];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

export interface FargateSize {
  /** CPU units (1024 = 1 vCPU). */
  cpu: number;
  /** Memory in MiB. */
  memoryMiB: number;
  /** True when the pair is larger than what compose asked for. */
  roundedUp: boolean;
}

/** Default when compose sets no limits: the smallest task, 0.25 vCPU / 512 MiB. */
export const DEFAULT_FARGATE_SIZE: FargateSize = { cpu: 256, memoryMiB: 512, roundedUp: false };

/**
 * The smallest valid Fargate size with at least `cpus` vCPUs and `memoryBytes` memory.
 * Throws a RangeError when the request exceeds the largest Fargate task (16 vCPU / 120 GiB).
 */
export function fargateSize(cpus: number | undefined, memoryBytes: number | undefined): FargateSize {
  if (cpus === undefined && memoryBytes === undefined) return DEFAULT_FARGATE_SIZE;
  const wantCpu = Math.ceil((cpus ?? 0) * 1024);
  const wantMem = Math.ceil((memoryBytes ?? 0) / (1024 * 1024));
  for (const size of FARGATE_SIZES) {
    if (size.cpu < wantCpu) continue;
    const memoryMiB = size.memory.find((m) => m >= wantMem);
    if (memoryMiB === undefined) continue;
    return { cpu: size.cpu, memoryMiB, roundedUp: size.cpu !== wantCpu || memoryMiB !== wantMem };
  }
  throw new RangeError(
    `no Fargate task size has ${cpus ?? 0} vCPU and ${Math.round(wantMem)} MiB (the largest is 16 vCPU / 120 GiB)`,
  );
}
