import { ExitCode } from '../../model/errors.js';
import { runChecks, type CheckResult } from '../../doctor/doctor.js';
import { colors, printJson, table } from '../../support/output.js';

export default async function doctor(only: string | undefined, opts: { json?: boolean }): Promise<void> {
  const checks = await runChecks();
  const needed = (c: CheckResult) => !only || c.neededBy.includes(only) || c.neededBy.includes('all');
  if (opts.json) printJson({ checks, ready: checks.filter(needed).every((c) => c.ok) });
  else {
    const rows = checks.map((c) => [
      c.ok ? colors.green('ok') : needed(c) ? colors.red('missing') : colors.yellow('missing'),
      c.title,
      c.neededBy.join(', '),
      c.ok ? c.detail : `${c.detail} → ${c.fix ?? ''}`,
    ]);
    process.stdout.write(`${table(['status', 'check', 'needed by', 'detail'], rows)}\n`);
  }
  if (checks.some((c) => !c.ok && needed(c) && (only || c.neededBy.some((n) => n !== 'deploy')))) {
    process.exitCode = ExitCode.environment;
  }
}
