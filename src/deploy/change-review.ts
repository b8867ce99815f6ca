import { loadResourceFacts } from '../infra/resource-facts.js';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { Diagnostic } from '../model/types.js';
import { changeHazards, type ChangeHazard, type HazardReport, type HazardTemplate } from './hazards.js';
import type { CloudSession } from './session.js';
import { deployedTemplate, stackStatus } from '../aws/stacks.js';

/**
 * The change-hazard check against what is deployed: every stack of the synth (in deployment
 * order) compared with its deployed template, with the caller's account and region for pseudo
 * parameters. `diff` prints the result; `deploy` stops on a refusal and asks about data at stake.
 */
export async function reviewChanges(s: CloudSession): Promise<HazardReport> {
  const { region, account } = s.target;
  const changes = [];
  for (const stack of s.synth.stacks) {
    const deployed = (await stackStatus(region, stack.name))
      ? ((await deployedTemplate(region, stack.name)) as HazardTemplate)
      : undefined;
    changes.push({ stack: stack.name, old: deployed, new: s.template(stack.name) as HazardTemplate });
  }
  return changeHazards(changes, { facts: await loadResourceFacts(), pseudo: { account, region } });
}

/** One line per hazard: `refused: web-api-dev: App/Table (AWS::DynamoDB::Table): reason`. */
export function hazardText(h: ChangeHazard): string {
  return `${h.severity === 'refuse' ? 'refused' : 'data at stake'}: ${h.stack}: ${h.resource} (${h.type}): ${h.reason}`;
}

/**
 * Before deploy changes anything: a change CloudFormation cannot make stops it (exit 4), with the
 * reasons; replacing or removing a stateful resource must be confirmed (or `--yes`).
 */
export async function confirmChanges(
  report: HazardReport,
  yes: boolean,
  confirm: (question: string) => Promise<boolean>,
  progress: (line: string) => void,
): Promise<void> {
  const refused = report.hazards.filter((h) => h.severity === 'refuse');
  if (refused.length > 0) {
    throw new ShipshapeError(
      `${refused.length} change(s) cannot be deployed in place: CloudFormation would fail half-way`,
      {
        exitCode: ExitCode.verification,
        hint: 'see `shipshape diff`: keep the resource as it is (same logical id, port, priority or name), or rename what must be replaced',
        more: refused.map((h): Diagnostic => ({ severity: 'error', message: hazardText(h) })),
      },
    );
  }
  for (const r of report.replacements)
    progress(`replaces: ${r.stack}: ${r.resource} (${r.type}) because of ${r.because.join(', ')}`);
  const data = report.hazards.filter((h) => h.severity === 'warn');
  for (const h of data) progress(hazardText(h));
  if (data.length === 0 || yes) return;
  if (!(await confirm(`${data.length} change(s) replace or remove data (listed above). Deploy them?`))) {
    throw new ShipshapeError('deploy cancelled: changes that replace or remove data were not approved', {
      exitCode: ExitCode.usage,
      hint: 'review them with `shipshape diff`, then deploy with --yes (or answer yes)',
    });
  }
}
