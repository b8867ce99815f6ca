import type { Command } from 'commander';
import { loadAppForCommand } from '../load-app.js';
import { engine, requireEngine } from '../../engine/client.js';
import { onCleanup } from '../../support/cleanup.js';
import { errColors, printJson, safeText } from '../../support/output.js';
import { up as startApp } from '../../local/up.js';
import { listLocalContainers, logs, ps } from '../../local/ops.js';
import { printLogLine } from './logs.js';

interface UpFlags {
  detach?: boolean;
  host: string;
  timeout: string;
  json?: boolean;
  lb: 'http' | 'tcp' | 'nginx';
  fargate?: boolean;
}

export default async function up(this: Command, services: string[], opts: UpFlags): Promise<void> {
  const app = loadAppForCommand(this);
  const docker = await requireEngine(engine());
  const timeoutMs = Number(opts.timeout) * 1000;
  const result = await startApp(app, {
    docker,
    services,
    host: opts.host,
    lbMode: opts.lb,
    fargate: opts.fargate ?? false,
    timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 180_000,
    onProgress: (m) => process.stderr.write(`${errColors.dim('›')} ${safeText(m)}\n`),
    onBuildOutput: (service, line) =>
      process.stderr.write(errColors.dim(`  ${service} | ${safeText(line)}\n`)),
  });
  const rows = await ps(app, docker);
  if (opts.json) {
    printJson({
      app: app.name,
      created: result.created,
      unchanged: result.unchanged,
      removed: result.removed,
      warnings: result.warnings,
      containers: rows,
    });
    return;
  }
  const endpoints = rows.filter((r) => r.ports.length > 0);
  process.stderr.write(
    `${errColors.green('✔')} ${app.name} is up: ${result.created.length} created, ${result.unchanged.length} unchanged\n`,
  );
  for (const r of endpoints) {
    for (const p of r.ports) process.stdout.write(`${r.service}: http://${p.split('->')[0]}\n`);
  }
  if (opts.detach) return;
  // Attached: follow the logs; Ctrl-C stops the app's containers (`down` removes them).
  const abort = new AbortController();
  onCleanup(`stop ${app.name}`, async () => {
    abort.abort();
    process.stderr.write(`stopping ${app.name}…\n`);
    const list = await listLocalContainers(app.name, docker);
    await Promise.all(
      list.map((c) =>
        docker
          .getContainer(c.Id)
          .stop({ t: 10 })
          .catch(() => undefined),
      ),
    );
  });
  await logs(app, printLogLine(app), { follow: true, tail: 0, signal: abort.signal, docker });
}
