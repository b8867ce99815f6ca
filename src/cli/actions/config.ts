import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadAppForCommand } from '../load-app.js';
import { loadAppWithImageFacts } from '../image-facts.js';
import type { AppModel, ServiceModel } from '../../model/types.js';
import { printJson, safeData, safeText } from '../../support/output.js';
import { redactService } from '../../model/intent/credentials.js';

/** The model as printed: stable key order, no source locations (those are for error messages). */
export function printableModel(app: AppModel): Record<string, unknown> {
  const parts = printableParts(app);
  return {
    ...parts.head,
    services: Object.fromEntries(app.services.map((s) => [s.name, printableService(s)])),
    ...parts.tail,
  };
}

/** What comes before and after `services` in the printed model. */
function printableParts(app: AppModel): { head: Record<string, unknown>; tail: Record<string, unknown> } {
  return {
    head: { name: app.name, projectDir: app.projectDir, files: app.files },
    tail: {
      networks: app.networks,
      volumes: app.volumes,
      secrets: app.secrets,
      'x-shipshape': app.x,
      traffic: app.traffic.edges.map(({ evidence, ...e }) => ({ ...e, found: evidence.map((x) => x.text) })),
      ...(app.intent.catchAll ? { 'catch-all': app.intent.catchAll } : {}),
      // What the model decided for production, each with its reason, one line per decision.
      decisions: app.intent.decisions.map((d) => d.text),
    },
  };
}

/** One service as printed: every value the model classified as a credential masked (never printed). */
function printableService(s: ServiceModel): Record<string, unknown> {
  const { location: _l, name: _n, intent, ...rest } = redactService(s);
  return { ...rest, intent: withoutLocations(intent) };
}

/**
 * The model as YAML, written a service at a time (a 16 MB compose file prints some 200 MB: one
 * copy of the whole printed model at once was most of the peak memory). Every value from the
 * user's files is shown verbatim, control characters escaped. (`yaml`, which the loader has
 * already loaded: `config` must start without loading another YAML library.)
 */
function writeYaml(app: AppModel): void {
  const yaml = (value: unknown) => stringify(safeData(value), { aliasDuplicateObjects: false, lineWidth: 0 });
  const { head, tail } = printableParts(app);
  process.stdout.write(yaml(head));
  process.stdout.write(app.services.length > 0 ? 'services:\n' : 'services: {}\n');
  for (const s of app.services)
    process.stdout.write(yaml({ [s.name]: printableService(s) }).replace(/^(?=.)/gm, '  '));
  process.stdout.write(yaml(tail));
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

export default async function config(
  this: Command,
  opts: { format: string; json?: boolean; services?: boolean; updateLock?: boolean },
): Promise<void> {
  // Only --update-lock reads registries; a plain `config` stays offline and instant.
  const app = opts.updateLock ? await loadAppWithImageFacts(this, { update: true }) : loadAppForCommand(this);
  if (opts.services) {
    for (const s of app.services) process.stdout.write(`${safeText(s.name)}\n`);
    return;
  }
  if (opts.json || opts.format === 'json') printJson(printableModel(app));
  else writeYaml(app);
}
