import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { globalOptions } from '../app-options.js';
import { loadAppForCommand } from '../load-app.js';
import { errColors, safeJson, safeText } from '../../support/output.js';

export default async function sbom(
  this: Command,
  service: string,
  opts: { slim?: boolean; output?: string },
): Promise<void> {
  const app = loadAppForCommand(this);
  const quiet = globalOptions(this).quiet;
  const { serviceSbom } = await import('../../sbom/sbom.js');
  const r = await serviceSbom(app, service, {
    slim: opts.slim,
    onProgress: quiet ? undefined : (m) => process.stderr.write(`${errColors.dim(`sbom: ${safeText(m)}`)}\n`),
  });
  const summary = Object.entries(r.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  if (!quiet) {
    const kept = r.source ? ` (kept of ${r.source.packages} in ${r.source.ref})` : '';
    process.stderr.write(
      `${r.image.ref}: ${r.packages.length} packages${kept}${summary ? `: ${summary}` : ''}\n`,
    );
  }
  if (opts.output) writeFileSync(opts.output, r.json);
  else process.stdout.write(`${safeJson(r.json)}\n`);
}
