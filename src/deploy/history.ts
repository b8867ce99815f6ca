import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import type { SynthResult } from '../infra/synth.js';
import { ExitCode, ShipshapeError } from '../model/errors.js';

/**
 * The deployment history `shipshape rollback` goes back through: the last HISTORY_LIMIT
 * successful deployments of an environment, newest first. The entries live in the environment's
 * record (`.shipshape/deploy/<env>.json`, field `history`, next to the last outcome that
 * `shipshape report` reads), and each entry's cloud assembly — the synthesized templates exactly as
 * they were deployed — in `.shipshape/deploy/<env>/<id>/`. An entry holds what redeploying it
 * needs: its image tag parameters and that assembly. Re-synthesizing instead would deploy today's
 * compose file and today's shipshape with yesterday's images, which is not what was running.
 */

/** How many successful deployments an environment keeps. */
export const HISTORY_LIMIT = 10;

/** What deploy needs of a synth to deploy it (and what a recorded assembly restores). */
export type DeployableSynth = Pick<
  SynthResult,
  'outdir' | 'stacks' | 'profile' | 'imageSlots' | 'registryStack' | 'jobGates'
>;

export interface HistoryEntry {
  /**
   * The deployment's content address: a digest of its templates and parameters. Deploying the
   * same templates with the same images gives the same id (and shares one stored assembly).
   */
  id: string;
  /** When it finished, ISO 8601. */
  time: string;
  account?: string;
  region?: string;
  /** The stacks it deployed. */
  stacks: string[];
  images: { service: string; reference: string; digest?: string }[];
  /** `<stack>:<parameter>` → value: each built service's image tag. */
  parameters: Record<string, string>;
  /** Set on a rollback: the id of the deployment it replaced. */
  rollbackFrom?: string;
}

/** A recorded deployment's assembly, ready to be copied and deployed again. */
export interface RecordedAssembly {
  /** `.shipshape/deploy/<env>/<id>/cdk.out`. */
  dir: string;
  synth: Omit<DeployableSynth, 'outdir'>;
}

const ID = /^[0-9a-f]{12}$/;
const META = 'deployment.json';

/** `.shipshape/deploy/<env>/`: where the environment's recorded assemblies are. */
export function assembliesDir(deployDir: string, environment: string): string {
  return join(deployDir, environment);
}

/** The content address of a deployment: its templates (in stack order) and its parameters. */
export function deploymentId(
  synth: Pick<DeployableSynth, 'stacks'>,
  parameters: Record<string, string>,
): string {
  const hash = createHash('sha256');
  for (const s of synth.stacks) hash.update(`${s.name}\n`).update(readFileSync(s.templateFile)).update('\n');
  for (const key of Object.keys(parameters).sort()) hash.update(`${key}=${parameters[key]}\n`);
  return hash.digest('hex').slice(0, 12);
}

/** Pure: the history with `entry` added as the newest, bounded to `limit` entries. */
export function addToHistory(
  history: readonly HistoryEntry[],
  entry: HistoryEntry,
  limit = HISTORY_LIMIT,
): HistoryEntry[] {
  return [entry, ...history].slice(0, limit);
}

/** The history array of a record file's contents; entries it cannot read are left out. */
export function historyOf(raw: unknown): HistoryEntry[] {
  const list = (raw as { history?: unknown } | undefined)?.history;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (e): e is HistoryEntry =>
      typeof e === 'object' &&
      e !== null &&
      typeof (e as HistoryEntry).id === 'string' &&
      ID.test((e as HistoryEntry).id) &&
      typeof (e as HistoryEntry).time === 'string' &&
      typeof (e as HistoryEntry).parameters === 'object',
  );
}

/**
 * Copy a deployed assembly into the environment's history (once per id: the same content is
 * stored once), with what deploy needs to know about it besides the templates.
 */
export function storeAssembly(dir: string, id: string, synth: DeployableSynth): void {
  const target = join(dir, id);
  if (existsSync(join(target, META))) return;
  const partial = `${target}.${process.pid}.tmp`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  cpSync(synth.outdir, join(partial, 'cdk.out'), { recursive: true });
  const meta: RecordedAssembly['synth'] = {
    stacks: synth.stacks.map((s) => ({
      ...s,
      templateFile: basename(s.templateFile),
      yamlFile: basename(s.yamlFile),
    })),
    profile: synth.profile,
    imageSlots: synth.imageSlots,
    registryStack: synth.registryStack,
    jobGates: synth.jobGates,
  };
  writeFileSync(join(partial, META), `${JSON.stringify(meta, null, 2)}\n`);
  rmSync(target, { recursive: true, force: true });
  renameSync(partial, target);
}

/** Remove stored assemblies no history entry refers to (only directories named like an id). */
export function pruneAssemblies(dir: string, history: readonly HistoryEntry[]): void {
  if (!existsSync(dir)) return;
  const kept = new Set(history.map((e) => e.id));
  for (const name of readdirSync(dir)) {
    if (ID.test(name) && !kept.has(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** A recorded deployment's assembly, or a clear error when it is gone. */
export function recordedAssembly(dir: string, entry: HistoryEntry, recordFile: string): RecordedAssembly {
  const meta = join(dir, entry.id, META);
  if (!existsSync(meta)) {
    throw new ShipshapeError(`the templates of deployment ${entry.id} (${entry.time}) are missing`, {
      exitCode: ExitCode.failure,
      path: meta,
      hint: `${recordFile} lists it, but its assembly directory is gone; pick another one with --to (rollback --dry-run lists them)`,
    });
  }
  const synth = JSON.parse(readFileSync(meta, 'utf8')) as RecordedAssembly['synth'];
  // Recorded before jobs existed: no stack had a job gate.
  return { dir: join(dir, entry.id, 'cdk.out'), synth: { ...synth, jobGates: synth.jobGates ?? [] } };
}

/** Copy a recorded assembly to `outdir` (the toolkit writes lock files into the assembly it reads). */
export function copyRecordedAssembly(recorded: RecordedAssembly, outdir: string): DeployableSynth {
  cpSync(recorded.dir, outdir, { recursive: true });
  return {
    ...recorded.synth,
    outdir,
    stacks: recorded.synth.stacks.map((s) => ({
      ...s,
      templateFile: join(outdir, s.templateFile),
      yamlFile: join(outdir, s.yamlFile),
    })),
  };
}

export interface RollbackChoice {
  /** What is deployed now (the newest successful deployment). */
  from: HistoryEntry;
  to: HistoryEntry;
}

/**
 * Pure: which recorded deployment a rollback redeploys. Without `to`, the newest successful
 * deployment whose content differs from the newest one (so a second rollback returns to where
 * the first started, as `kubectl rollout undo` does); with `to`, the entry whose id starts with it.
 */
export function chooseRollback(
  history: readonly HistoryEntry[],
  environment: string,
  to?: string,
): RollbackChoice {
  const from = history[0];
  if (!from) {
    throw new ShipshapeError(`no successful deployment of ${environment} is recorded`, {
      exitCode: ExitCode.usage,
      hint: `rollback redeploys what \`shipshape deploy --env ${environment}\` recorded in .shipshape/deploy/${environment}.json; deploy first`,
    });
  }
  if (to !== undefined) {
    const matches = [...new Set(history.filter((e) => e.id.startsWith(to)).map((e) => e.id))];
    if (matches.length !== 1) {
      throw new ShipshapeError(
        matches.length === 0
          ? `no recorded deployment of ${environment} has an id starting with "${to}"`
          : `"${to}" matches ${matches.length} recorded deployments (${matches.join(', ')})`,
        {
          exitCode: ExitCode.usage,
          hint: `\`shipshape rollback --env ${environment} --dry-run\` lists the recorded deployments and their ids`,
        },
      );
    }
    return { from, to: history.find((e) => e.id === matches[0])! };
  }
  const earlier = history.find((e) => e.id !== from.id);
  if (!earlier) {
    throw new ShipshapeError(
      `nothing to roll back to: every recorded deployment of ${environment} is the current one`,
      {
        exitCode: ExitCode.usage,
        hint: `rollback needs an earlier successful deployment with other templates or images (${history.length} recorded, all ${from.id})`,
      },
    );
  }
  return { from, to: earlier };
}
