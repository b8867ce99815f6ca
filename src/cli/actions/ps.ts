import type { Command } from 'commander';
import { loadAppForCommand } from '../load-app.js';
import { engine, requireEngine } from '../../engine/client.js';
import { colors, printJson, table } from '../../support/output.js';
import { ps as listContainers } from '../../local/ops.js';

export default async function ps(this: Command, opts: { json?: boolean; env?: string }): Promise<void> {
  // --env: the deployed environment (AWS SDK), in a module of its own so the local path stays light.
  if (opts.env !== undefined)
    return (await import('./ps-cloud.js')).default.call(this, { ...opts, env: opts.env });
  const app = loadAppForCommand(this);
  const docker = engine();
  // Ping only when listing fails, to say why: one engine round trip fewer on the common path.
  const rows = await listContainers(app, docker).catch(async (e: unknown) => {
    await requireEngine(docker);
    throw e;
  });
  if (opts.json) return printJson(rows);
  if (rows.length === 0) {
    process.stderr.write(`${app.name} is not running (\`shipshape up\` starts it)\n`);
    return;
  }
  const paintState = (s: string) => (s === 'running' ? colors.green(s) : colors.red(s));
  const paintHealth = (h: string) =>
    h === 'healthy' ? colors.green(h) : h === 'unhealthy' ? colors.red(h) : h;
  process.stdout.write(
    `${table(
      ['service', 'replica', 'state', 'health', 'ports'],
      rows.map((r) => [r.service, r.replica, paintState(r.state), paintHealth(r.health), r.ports.join(', ')]),
    )}\n`,
  );
}
