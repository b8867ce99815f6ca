import type { Command } from 'commander';
import { loadAppForCommand } from '../load-app.js';
import { colors, printJson, table } from '../../support/output.js';
import { cloudPs, type CloudPsReport, type ServiceStatus } from '../../cloud/ps.js';

/** `shipshape ps --env NAME`: the deployed environment's services and jobs (src/cloud/ps.ts). */
export default async function psCloud(this: Command, opts: { json?: boolean; env: string }): Promise<void> {
  const app = loadAppForCommand(this, { environment: opts.env });
  const report = await cloudPs(app);
  if (opts.json) return printJson(report);
  process.stdout.write(`${render(report)}\n`);
}

const paintRollout = (state: string) =>
  state === 'completed'
    ? colors.green(state)
    : state === 'in-progress'
      ? colors.yellow(state)
      : colors.red(state);

function targets(s: ServiceStatus): string {
  if (s.targets.length === 0) return '-';
  const healthy = s.targets.reduce((n, t) => n + t.healthy, 0);
  const total = s.targets.reduce((n, t) => n + t.total, 0);
  const text = `${healthy}/${total} healthy`;
  return healthy === total && total > 0 ? colors.green(text) : total === 0 ? text : colors.red(text);
}

function images(s: ServiceStatus): string {
  return s.images
    .map((i) => `${i.image.split('/').slice(-2).join('/')}${i.digest ? ` ${i.digest.slice(0, 19)}` : ''}`)
    .join(', ');
}

function render(r: CloudPsReport): string {
  const out = [
    `${colors.bold(r.app)} (${r.environment}) in ${r.region}: ${r.stacks.map((s) => `${s.name} ${s.status ?? ''}`.trim()).join(', ')}`,
  ];
  for (const url of r.urls) out.push(`  ${colors.bold(url)}`);
  out.push(
    '',
    table(
      ['SERVICE', 'TASKS', 'PENDING', 'ROLLOUT', 'TARGETS', 'TASK DEF', 'IMAGES'],
      r.services.map((s) => [
        s.name,
        `${s.running}/${s.desired}`,
        String(s.pending),
        paintRollout(s.rollout.state),
        targets(s),
        s.taskDefinition,
        images(s),
      ]),
    ),
  );
  for (const s of r.services) {
    if (s.rollout.rolledBack) out.push(`${s.name}: rolled back: ${s.rollout.rolledBack.reason}`);
    if (s.rollout.state === 'in-progress' || s.rollout.state === 'failed') {
      for (const d of s.rollout.deployments)
        out.push(
          `${s.name}: deployment ${d.id} (${d.status}, ${d.taskDefinition}) ${d.rollout ?? ''} ${d.running}/${d.desired} running${d.failedTasks ? `, ${d.failedTasks} failed` : ''}${d.reason ? `: ${d.reason}` : ''}`,
        );
    }
    for (const g of s.targets)
      for (const t of g.targets.filter((x) => x.state !== 'healthy'))
        out.push(
          `${s.name}: target ${t.id}${t.port ? `:${t.port}` : ''} ${t.state}${t.reason ? `: ${t.reason}` : ''}`,
        );
  }
  if (r.jobs.length) {
    out.push(
      '',
      table(
        ['JOB', 'TASK DEF', 'LAST RUN', 'STATUS', 'EXIT'],
        r.jobs.map((j) => [
          j.name,
          j.taskDefinition,
          j.lastRun?.startedAt ?? j.lastRun?.createdAt ?? 'never (or over an hour ago)',
          j.lastRun?.lastStatus ?? '',
          j.lastRun?.exitCode === undefined ? (j.lastRun?.stoppedReason ?? '') : String(j.lastRun.exitCode),
        ]),
      ),
    );
  }
  return out.join('\n');
}
