import type { Command } from 'commander';
import { loadAppForCommand } from '../load-app.js';
import { engine, requireEngine } from '../../engine/client.js';
import { printJson } from '../../support/output.js';
import { down as removeApp } from '../../local/ops.js';

export default async function down(
  this: Command,
  opts: { volumes?: boolean; json?: boolean },
): Promise<void> {
  const app = loadAppForCommand(this);
  const removed = await removeApp(app, { volumes: opts.volumes, docker: await requireEngine(engine()) });
  if (opts.json) return printJson(removed);
  process.stderr.write(
    `removed ${removed.containers} container(s), ${removed.networks} network(s)` +
      (opts.volumes ? `, ${removed.volumes} volume(s)` : '') +
      ` of ${app.name}\n`,
  );
}
