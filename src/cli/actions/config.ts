import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadAppForCommand } from '../load-app.js';
import type { AppModel } from '../../model/types.js';
import { printJson, safeData, safeText } from '../../support/output.js';
import { redactService } from '../../model/intent/credentials.js';

/** The model as printed: stable key order, no source locations (those are for error messages). */
export function printableModel(app: AppModel): unknown {
  return {
    name: app.name,
    projectDir: app.projectDir,
    files: app.files,
    // Every value the model classified as a credential is masked (never printed).
    services: Object.fromEntries(
      app.services
        .map(redactService)
        .map(({ location: _l, name, intent, ...s }) => [name, { ...s, intent: withoutLocations(intent) }]),
    ),
    networks: app.networks,
    volumes: app.volumes,
    secrets: app.secrets,
    'x-shipshape': app.x,
    traffic: app.traffic.edges.map(({ evidence, ...e }) => ({ ...e, found: evidence.map((x) => x.text) })),
    ...(app.intent.catchAll ? { 'catch-all': app.intent.catchAll } : {}),
    // What the model decided for production, each with its reason, one line per decision.
    decisions: app.intent.decisions.map((d) => d.text),
  };
}

/** Drop `location` keys (they are for error messages) from a printed value. */
function withoutLocations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLocations);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== 'location')
        .map(([k, v]) => [k, withoutLocations(v)]),
    );
  }
  return value;
}

export default function config(
  this: Command,
  opts: { format: string; json?: boolean; services?: boolean },
): void {
  const app = loadAppForCommand(this);
  if (opts.services) {
    for (const s of app.services) process.stdout.write(`${safeText(s.name)}\n`);
    return;
  }
  const model = printableModel(app);
  if (opts.json || opts.format === 'json') printJson(model);
  // Every value from the user's files as a terminal shows it verbatim (controls escaped).
  else process.stdout.write(stringify(safeData(model), { aliasDuplicateObjects: false, lineWidth: 0 }));
}
