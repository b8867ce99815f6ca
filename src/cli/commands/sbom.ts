import { Command } from 'commander';
import { lazyCommand } from '../lazy-command.js';

export function sbomCommand(): Command {
  const definition = new Command('sbom')
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
    );
  return lazyCommand(definition, () => import('../actions/sbom.js'));
}
