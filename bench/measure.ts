/**
 * One measured process for the benchmarks: wall time from this side, user and system CPU and peak
 * memory from GNU time (`/usr/bin/time`, Debian package `time`), and each stderr line with the
 * moment it arrived (synth's progress lines mark its phases).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

export interface Measured {
  code: number | null;
  wallMs: number;
  /** User + system CPU of the process and its threads (10 ms resolution). */
  cpuMs: number;
  userMs: number;
  sysMs: number;
  maxRssBytes: number;
  stdout: string;
  /** stderr lines, each with milliseconds since the start. */
  stderrLines: { atMs: number; text: string }[];
}

export async function measure(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<Measured> {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: apt-get install time`);
  const dir = mkdtempSync(join(tmpdir(), 'shipshape-bench-time-'));
  const report = join(dir, 'time.txt');
  try {
    const start = performance.now();
    const child = spawn(GNU_TIME, ['-f', '%U %S %M', '-o', report, command, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let pending = '';
    const stderrLines: Measured['stderrLines'] = [];
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const atMs = performance.now() - start;
      const parts = (pending + d.toString()).split('\n');
      pending = parts.pop()!;
      for (const text of parts) stderrLines.push({ atMs, text });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const wallMs = performance.now() - start;
    if (pending) stderrLines.push({ atMs: wallMs, text: pending });
    const [user, sys, rssKiB] = readFileSync(report, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    return {
      code,
      wallMs: Math.round(wallMs),
      cpuMs: Math.round((user! + sys!) * 1000),
      userMs: Math.round(user! * 1000),
      sysMs: Math.round(sys! * 1000),
      maxRssBytes: rssKiB! * 1024,
      stdout,
      stderrLines,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : Math.round((s[s.length / 2 - 1]! + s[s.length / 2]!) / 2);
};

/** The 1-minute load average, to print beside every figure: other work on the machine inflates them. */
export const load1 = (): number => Number(loadavg()[0]!.toFixed(2));
