import type Docker from 'dockerode';
import { ShipshapeError } from '../model/errors.js';
import { composeLocator } from '../model/locate.js';
import { selectServices } from '../model/select.js';
import type { AppModel, ServiceModel, SourceLocation } from '../model/types.js';
import type { DocPath } from '../model/yaml-source.js';
import type { CostEstimate } from '../infra/cost.js';
import { FAMILIES, severityRank, type Finding, type RuleDefinition, type RuleFamily } from './findings.js';
import { cloudContainers, isDeployed } from '../model/intent/index.js';
import { RULES } from './rules/catalog.js';
import { composeFindings } from './rules/compose.js';
import { dockerfileFindings, serviceDockerfile } from './rules/dockerfile.js';

/**
 * `shipshape check`: one gate across compose, Dockerfiles, images and the cloud templates. Judges
 * the model's decisions (never re-derives them), modifies nothing and runs nothing: images are
 * read through never-started containers, templates are synthesized into a temporary directory.
 */
export interface CheckOptions {
  /** Services to check. Default all. */
  services?: string[];
  /** Rule families to run. Default all four. */
  families?: readonly RuleFamily[];
  /** Where `shipshape synth` writes templates (cloud findings point there). Default `cdk.out`. */
  templateDir?: string;
  docker?: Docker;
  onProgress?: (message: string) => void;
}

/** One image `check` read, for `report`. */
export interface CheckedImage {
  service: string;
  kind: 'built' | 'slim';
  ref: string;
  size: number;
  layers: number;
  user: string;
  files: number;
}

export interface CheckResult {
  app: string;
  findings: Finding[];
  /** Every rule in scope: the static catalog plus the cloud rules that occurred. */
  rules: RuleDefinition[];
  /** What could not be checked, and why (image not built, engine down, gate open). */
  notes: string[];
  /**
   * Families asked for that could not be judged at all (the cloud, while compose findings keep
   * the app out of it or its templates cannot be made): the check then has not passed.
   */
  incomplete: string[];
  images: CheckedImage[];
  cloud?: { cost: CostEstimate; stacks: { name: string; resources: number }[] };
}

export { selectServices } from '../model/select.js';

export async function runCheck(app: AppModel, options: CheckOptions = {}): Promise<CheckResult> {
  const families = new Set(options.families ?? FAMILIES);
  const selected = selectServices(app, options.services);
  const names = new Set(selected.map((s) => s.name));
  const locate = composeLocator(app);
  const progress = options.onProgress ?? (() => {});
  const result: CheckResult = {
    app: app.name,
    findings: [],
    rules: [...RULES],
    notes: [],
    incomplete: [],
    images: [],
  };

  if (families.has('compose')) {
    progress('compose rules');
    result.findings.push(...composeFindings({ app, locate, services: names }));
  }
  if (families.has('dockerfile')) {
    progress('Dockerfile rules');
    for (const s of selected.filter((x) => x.build && isDeployed(x))) {
      const df = serviceDockerfile(s, locate);
      if (df) result.findings.push(...dockerfileFindings(s, df));
      else if (s.intent.refusals.some((r) => r.rule === 'dockerfile'))
        result.notes.push(
          `${s.name}: the Dockerfile cannot be built (SS-COMPOSE-026), Dockerfile rules skipped`,
        );
      else result.notes.push(`${s.name}: remote build context, Dockerfile not checked`);
    }
  }
  if (families.has('image')) await imageFamily(app, selected, locate, options, result);
  if (families.has('cloud')) await cloudFamily(app, options, names, result);
  result.findings.sort(
    (a, b) =>
      Number(Boolean(a.suppressed)) - Number(Boolean(b.suppressed)) ||
      severityRank(b.severity) - severityRank(a.severity) ||
      a.ruleId.localeCompare(b.ruleId) ||
      (a.service ?? '').localeCompare(b.service ?? ''),
  );
  return result;
}

async function imageFamily(
  app: AppModel,
  selected: ServiceModel[],
  locate: (path: DocPath) => SourceLocation,
  options: CheckOptions,
  result: CheckResult,
): Promise<void> {
  const { engine } = await import('../engine/client.js');
  const { imageId, readImage } = await import('../engine/image-read.js');
  const { imageFindings, imageIndexOptions } = await import('./rules/image.js');
  const { serviceImages } = await import('../model/image-ref.js');
  const docker = options.docker ?? engine();
  try {
    await docker.ping();
  } catch (e) {
    result.notes.push(`image rules skipped: the Docker engine is not reachable (${(e as Error).message})`);
    return;
  }
  const deployed = new Set(cloudContainers(app).map((s) => s.name));
  for (const s of selected.filter((x) => deployed.has(x.name))) {
    const refs = serviceImages(app.name, s);
    const slimmed = (await imageId(docker, refs.slim)) !== undefined;
    const location = s.build
      ? (serviceDockerfile(s, locate)?.built?.location ?? locate(['services', s.name, 'build']))
      : locate(['services', s.name, 'image']);
    for (const [kind, ref] of [
      ['built', refs.built],
      ['slim', refs.slim],
    ] as const) {
      if (!ref || (await imageId(docker, ref)) === undefined) {
        if (kind === 'built')
          result.notes.push(
            `${s.name}: image ${ref ?? '(none)'} is not on this engine; image rules skipped (\`shipshape up ${s.name}\` builds it)`,
          );
        continue;
      }
      options.onProgress?.(`reading ${kind} image ${ref}`);
      const { options: indexOptions, privateKeys } = imageIndexOptions();
      const snapshot = await readImage(docker, ref, indexOptions);
      result.images.push({
        service: s.name,
        kind,
        ref,
        size: snapshot.size,
        layers: snapshot.layers,
        user: snapshot.user,
        files: [...snapshot.index.entries.values()].filter((e) => e.type === 'file').length,
      });
      result.findings.push(
        ...imageFindings({ service: s, facts: { snapshot, kind, privateKeys }, location, slimmed }),
      );
    }
  }
}

async function cloudFamily(
  app: AppModel,
  options: CheckOptions,
  names: ReadonlySet<string>,
  result: CheckResult,
): Promise<void> {
  const { cloudBlocked, cloudFindings } = await import('./rules/cloud.js');
  const blocked = cloudBlocked(app);
  if (blocked) {
    result.notes.push(`cloud rules skipped: ${blocked}`);
    result.incomplete.push(`the cloud templates were not judged: ${blocked}`);
    return;
  }
  options.onProgress?.('synthesizing the templates for the cloud rules');
  let cloud: Awaited<ReturnType<typeof cloudFindings>>;
  try {
    cloud = await cloudFindings(app, { templateDir: options.templateDir, onProgress: options.onProgress });
  } catch (e) {
    // Bad input for the cloud (a construct's validation error) must not hide the other families.
    if (!(e instanceof ShipshapeError) && (e as { type?: unknown })?.type !== 'validation') throw e;
    result.notes.push(`cloud rules skipped: the templates cannot be synthesized: ${(e as Error).message}`);
    result.incomplete.push(`the cloud templates were not judged: they cannot be synthesized`);
    return;
  }
  const all = names.size === app.services.length;
  result.findings.push(...cloud.findings.filter((f) => all || !f.service || names.has(f.service)));
  result.rules.push(...cloud.rules);
  result.cloud = { cost: cloud.cost, stacks: cloud.stacks };
}
