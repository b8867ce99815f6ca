import { Command } from 'commander';
import { collect } from '../app-options.js';
import { lazyCommand } from '../lazy-command.js';

export function slimCommand(): Command {
  const definition = new Command('slim')
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
    .option(
      '--port <port>',
      'container port to probe (repeatable); default the ports compose publishes or declares, else the EXPOSEd ports something listens on',
      collect,
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
    );
  return lazyCommand(definition, () => import('../actions/slim.js'));
}
