import { Command, Option } from 'commander';
import { loadAppForCommand } from '../app-options.js';
import { engine, requireEngine } from '../../engine/client.js';
import { onCleanup } from '../../support/cleanup.js';
import { errColors, printJson } from '../../support/output.js';
import { up } from '../../local/up.js';
import { listLocalContainers, logs, ps } from '../../local/ops.js';
import { printLogLine } from './logs.js';

export function upCommand(): Command {
  return new Command('up')
    .description('Build and run the app locally, hardened and isolated the way production runs it')
    .argument('[service...]', 'services to start (their dependencies come along); default all')
    .option('-d, --detach', 'return once every service is healthy instead of following the logs')
    .option('--host <address>', 'host address the public load balancers publish on', '127.0.0.1')
    .addOption(
      new Option(
        '--lb <mode>',
        'public load balancing: per HTTP request, per TCP connection (cheaper), or per HTTP request by nginx (image nginx:stable-bookworm)',
      )
        .choices(['http', 'tcp', 'nginx'])
        .default('http'),
    )
    .option('--timeout <seconds>', 'give up waiting for a service to become healthy after this long', '180')
    .option('--json', 'print what was created as JSON (implies --detach)')
    .addHelpText(
      'after',
      `
Examples:
  shipshape up -d                      # build, start, wait until healthy, return
  shipshape up web                     # web and what it depends on; follow logs, Ctrl-C stops
  shipshape up -d --host 0.0.0.0       # publish on every interface (explicit opt-in)
  shipshape up -d --lb nginx           # nginx balances the public HTTP ports

Docs: docs/up.md`,
    )
    .action(async function (
      this: Command,
      services: string[],
      opts: { detach?: boolean; host: string; timeout: string; json?: boolean; lb: 'http' | 'tcp' | 'nginx' },
    ) {
      const app = loadAppForCommand(this);
      const docker = await requireEngine(engine());
      const timeoutMs = Number(opts.timeout) * 1000;
      const result = await up(app, {
        docker,
        services,
        host: opts.host,
        lbMode: opts.lb,
        timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 180_000,
        onProgress: (m) => process.stderr.write(`${errColors.dim('›')} ${m}\n`),
        onBuildOutput: (service, line) => process.stderr.write(errColors.dim(`  ${service} | ${line}\n`)),
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
    });
}
