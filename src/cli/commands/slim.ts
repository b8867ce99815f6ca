import { resolve } from 'node:path';
import { Command } from 'commander';
import { collect, globalOptions, loadAppForCommand } from '../app-options.js';
import { hasComposeFile } from '../../model/load.js';
import type { AppModel } from '../../model/types.js';
import { slim, SlimVerificationError, type SlimReport, type SlimTarget } from '../../slim/slim.js';
import { colors, errColors, formatBytes, printJson, table } from '../../support/output.js';

interface SlimFlags {
  probe?: string[];
  test?: string;
  include?: string[];
  exclude?: string[];
  user?: string;
  tag?: string;
  reportDir?: string;
  timeout?: string;
  json?: boolean;
}

/** A service of the compose app when there is one with that name, else an image reference. */
function resolveTarget(cmd: Command, name: string): SlimTarget {
  if ((globalOptions(cmd).file?.length ?? 0) > 0 || hasComposeFile(process.cwd())) {
    const app: AppModel = loadAppForCommand(cmd);
    const service = app.services.find((s) => s.name === name);
    if (service) return { kind: 'service', app, service };
  }
  return { kind: 'image', ref: name };
}

function printHuman(r: SlimReport): void {
  const secs = (r.durationMs / 1000).toFixed(1);
  const rows = [
    [
      'slim image',
      `${r.tag} (${r.imageId.slice(7, 19)}), one layer, user ${r.user}${r.userOrigin === 'mapped-from-root' ? ' (mapped from root)' : ''}`,
    ],
    [
      'size',
      `${formatBytes(r.originalBytes)} → ${formatBytes(r.slimBytes)} (${r.ratio.toFixed(2)}× smaller)`,
    ],
    ['files', `${r.filesKept} kept, ${r.filesRemoved} removed`],
    ['shells removed', r.shellsRemoved.length ? r.shellsRemoved.join(' ') : 'none'],
    [
      'package managers removed',
      r.packageManagersRemoved.length ? r.packageManagersRemoved.join(' ') : 'none',
    ],
    ['setuid files removed', r.setuidRemoved.length ? String(r.setuidRemoved.length) : 'none'],
    ['verification', r.probes.map((p) => `${colors.green('pass')} ${p.name}`).join('; ')],
    ['time', `${secs} s`],
  ];
  // A two-column key/value list: the table's (empty) header line is dropped.
  const out = [table(['', ''], rows).split('\n').slice(1).join('\n')];
  if (r.entrypointScript)
    out.push((r.entrypointScript.elided ? colors.dim : colors.yellow)(r.entrypointScript.reason));
  for (const s of r.shellsKept) out.push(colors.yellow(`kept shell ${s.path}: ${s.reason}`));
  for (const s of r.packageManagersKept)
    out.push(colors.yellow(`kept package manager ${s.path}: ${s.reason}`));
  for (const u of r.unresolvedLibraries) out.push(colors.yellow(`library not found in the image: ${u}`));
  process.stdout.write(`${out.join('\n')}\n`);
}

export function slimCommand(): Command {
  return new Command('slim')
    .description(
      'Build a shell-less, one-layer image holding only what the traced app used, and prove it still works',
    )
    .argument('<target>', 'a service of the compose app, or an image reference')
    .option(
      '--probe <http:PATH>',
      'HTTP path probed on every exposed port (repeatable); default x-shipshape.slim.probes, else health-path',
      collect,
    )
    .option(
      '--test <cmd>',
      'test command run on this host against the app (gets SHIPSHAPE_TARGET_URL/_HOST/_PORT)',
    )
    .option('--include <glob>', 'keep these paths too (repeatable), e.g. /app/templates/**', collect)
    .option('--exclude <glob>', 'never keep these paths (repeatable)', collect)
    .option(
      '--user <uid:gid>',
      'run as this non-root user; default the image user, root mapped to 65532:65532',
    )
    .option('--tag <tag>', 'tag for the slim image; default <image>:<tag>-slim or <app>-<service>:slim')
    .option('--report-dir <dir>', 'where failure folders go; default .shipshape/slim in the project')
    .option('--timeout <seconds>', 'how long the app may take to answer its first probe', '60')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
The target runs twice with cap_drop ALL, no-new-privileges and a read-only root (unless the
service sets read_only: false): once under strace to learn what it uses, once slimmed to prove
it still passes. Nothing is tagged unless the slim image passes.

Exit codes: 0 slim image tagged, 2 bad input, 3 no engine or strace, 4 the original or the slim
image failed its probes/tests (a failure folder is printed), 130 interrupted.

Examples:
  shipshape slim hello
  shipshape slim api --probe http:/healthz --test "curl -fsS \\$SHIPSHAPE_TARGET_URL/items"
  shipshape slim myimage:1.0 --tag myimage:1.0-slim --json`,
    )
    .action(async function (this: Command, name: string, flags: SlimFlags) {
      const target = resolveTarget(this, name);
      const timeout = Number(flags.timeout ?? '60');
      const quiet = globalOptions(this).quiet;
      try {
        const report = await slim({
          target,
          probes: flags.probe,
          test: flags.test,
          include: flags.include,
          exclude: flags.exclude,
          user: flags.user,
          tag: flags.tag,
          reportDir: flags.reportDir ? resolve(flags.reportDir) : undefined,
          startupTimeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout * 1000 : 60_000,
          onProgress: quiet ? undefined : (line) => process.stderr.write(`${errColors.dim(line)}\n`),
        });
        if (flags.json) printJson(report);
        else printHuman(report);
      } catch (e) {
        if (e instanceof SlimVerificationError && flags.json) {
          printJson({ ok: false, error: e.message, failureFolder: e.folder, probes: e.probes });
        }
        throw e;
      }
    });
}
