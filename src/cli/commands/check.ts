import { Command, InvalidArgumentError, Option } from 'commander';
import { FAMILIES, SEVERITIES, type RuleFamily } from '../../policy/findings.js';
import { lazyCommand } from '../lazy-command.js';

export function checkCommand(): Command {
  const definition = new Command('check')
    .description('One security gate across compose, Dockerfiles, images and the cloud templates')
    .argument('[service...]', 'services to check (default all)')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'),
    )
    .option('-o, --output <file>', 'write the report to FILE instead of stdout')
    .addOption(
      new Option('--fail-on <severity>', 'exit 4 when an open finding is at least this severe')
        .choices([...SEVERITIES])
        .default('medium'),
    )
    .addOption(
      new Option(
        '--only <families>',
        'comma-separated rule families to run (compose,dockerfile,image,cloud)',
      ).argParser(parseFamilies),
    )
    .option(
      '--cdk-out <dir>',
      'where `shipshape synth` writes templates (cloud findings point there)',
      'cdk.out',
    )
    .addHelpText(
      'after',
      `
Rules and how to fix or acknowledge each: docs/check.md. check modifies nothing and runs nothing:
images are read (never started) through the engine, templates are synthesized in a temporary
directory. Images not built yet are skipped with a note.

Exit codes: 0 passed, 2 bad input (unknown service, unreadable Dockerfile), 4 findings at or above --fail-on.

Examples:
  shipshape check
  shipshape check api --fail-on high
  shipshape check --format sarif -o shipshape.sarif     # for GitHub code scanning
  shipshape check --only compose,dockerfile --format json`,
    );
  return lazyCommand(definition, () => import('../actions/check.js'));
}

function parseFamilies(value: string): RuleFamily[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((f) => !(FAMILIES as readonly string[]).includes(f));
  if (bad.length > 0 || list.length === 0) {
    throw new InvalidArgumentError(`takes ${FAMILIES.join(', ')} (got ${value})`);
  }
  return list as RuleFamily[];
}
