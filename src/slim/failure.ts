import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { ExerciseResult } from './exercise.js';
import type { ProbeResult } from './probes.js';

/** A slim run whose original or slim image failed its probes; the folder says why. */
export class SlimVerificationError extends ShipshapeError {
  constructor(
    message: string,
    readonly folder: string,
    readonly probes: ProbeResult[],
  ) {
    super(message, { exitCode: ExitCode.verification, hint: `see ${folder}` });
  }
}

export function describeFailures(probes: ProbeResult[]): string {
  return probes
    .filter((p) => !p.ok)
    .map((p) => `  ${p.name}: ${p.detail.split('\n').slice(0, 3).join(' | ')}`)
    .join('\n');
}

/** Write the failure folder: trace, keep-list, probe output, logs, missed paths. Returns its path. */
export function writeFailureFolder(
  base: string,
  name: string,
  data: {
    phase: 'original' | 'slim';
    result: ExerciseResult;
    trace: string;
    keep?: Map<string, string>;
    missed?: string[];
    diagnosticLogs?: string;
  },
): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const folder = join(base, `${name}-${stamp}`);
  mkdirSync(folder, { recursive: true });
  const readme = [
    `shipshape slim failed: ${data.phase === 'original' ? 'the ORIGINAL image failed its probes while traced' : 'the SLIM image failed verification (no image was tagged)'}`,
    '',
    'Files:',
    '  probes.txt   each probe and test with its output (failing ones first)',
    '  logs.txt     the container output',
    '  trace.log    strace of the original image under the probes',
    ...(data.keep ? ['  keep-list.txt  every kept path and why'] : []),
    ...(data.missed
      ? [
          '  missed.txt   paths the slim run looked for that exist in the original (include them with --include)',
        ]
      : []),
  ].join('\n');
  writeFileSync(join(folder, 'README.txt'), `${readme}\n`);
  const sorted = [...data.result.probes].sort((a, b) => Number(a.ok) - Number(b.ok));
  writeFileSync(
    join(folder, 'probes.txt'),
    sorted.map((p) => `== ${p.ok ? 'PASS' : 'FAIL'} ${p.name}\n${p.detail}\n`).join('\n'),
  );
  writeFileSync(join(folder, 'logs.txt'), data.result.logs);
  writeFileSync(join(folder, 'trace.log'), data.trace);
  if (data.keep) {
    writeFileSync(
      join(folder, 'keep-list.txt'),
      [...data.keep]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([p, r]) => `${p}\t${r}`)
        .join('\n') + '\n',
    );
  }
  if (data.missed) writeFileSync(join(folder, 'missed.txt'), data.missed.join('\n') + '\n');
  if (data.diagnosticLogs !== undefined)
    writeFileSync(join(folder, 'logs-traced-slim.txt'), data.diagnosticLogs);
  return folder;
}
