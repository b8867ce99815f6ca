import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { globalOptions, loadAppForCommand } from '../app-options.js';
import { errColors } from '../../support/output.js';

export function sbomCommand(): Command {
  return new Command('sbom')
    .description("CycloneDX SBOM (JSON) of a service's image: OS, npm, Python and Go packages with purls")
    .argument('<service>', 'the service whose image to describe')
    .option('--slim', 'describe the slim image (`shipshape slim SERVICE`): only the packages it kept')
    .option('-o, --output <file>', 'write the SBOM to FILE instead of stdout')
    .addHelpText(
      'after',
      `
Reads the image through the engine without running it: dpkg status, the apk database,
node_modules/**/package.json, Python *.dist-info, and Go build info. The document is CycloneDX 1.6.

Exit codes: 0 ok, 2 unknown service, 3 no engine or the image is not built (shipshape up / slim builds it).

Examples:
  shipshape sbom api -o api.cdx.json
  shipshape sbom web --slim`,
    )
    .action(async function (this: Command, service: string, opts: { slim?: boolean; output?: string }) {
      const app = loadAppForCommand(this);
      const quiet = globalOptions(this).quiet;
      const { serviceSbom } = await import('../../sbom/sbom.js');
      const r = await serviceSbom(app, service, {
        slim: opts.slim,
        onProgress: quiet ? undefined : (m) => process.stderr.write(`${errColors.dim(`sbom: ${m}`)}\n`),
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
      else process.stdout.write(`${r.json}\n`);
    });
}
