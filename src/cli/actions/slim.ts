import { resolve } from 'node:path';
import type { Command } from 'commander';
import { globalOptions } from '../app-options.js';
import { loadAppWithImageFacts } from '../image-facts.js';
import { hasComposeFile } from '../../model/load.js';
import { ShipshapeError } from '../../model/errors.js';
import type { AppModel } from '../../model/types.js';
import {
  slim as slimImage,
  SlimVerificationError,
  type SlimReport,
  type SlimTarget,
} from '../../slim/slim.js';
import { colors, errColors, formatBytes, printJson, table } from '../../support/output.js';

interface SlimFlags {
  probe?: string[];
  port?: string[];
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
async function resolveTarget(cmd: Command, name: string): Promise<SlimTarget> {
  if ((globalOptions(cmd).file?.length ?? 0) > 0 || hasComposeFile(process.cwd())) {
    const app: AppModel = await loadAppWithImageFacts(cmd);
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

function portNumber(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ShipshapeError(`--port ${text} is not a port number`, { hint: 'write e.g. --port 8080' });
  return port;
}

export default async function slim(this: Command, name: string, flags: SlimFlags): Promise<void> {
  const target = await resolveTarget(this, name);
  const timeout = Number(flags.timeout ?? '60');
  const quiet = globalOptions(this).quiet;
  try {
    const report = await slimImage({
      target,
      probes: flags.probe,
      ports: flags.port?.map((p) => portNumber(p)),
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
}
