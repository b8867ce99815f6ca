import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct, IConstruct } from 'constructs';
import { dump as toYaml } from 'js-yaml';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import { isInside, realPath } from '../model/host-paths.js';
import { interruptionPoint, onCleanup } from '../support/cleanup.js';
import type { AppModel } from '../model/types.js';
import { cloudContainers } from '../model/intent/placement.js';
import { ComposeApp, type ImageSlot, type JobGate } from './compose-app.js';
import { estimateCost, type CostEstimate } from './cost.js';
import { resolveProfile, type DeployProfile } from './profile.js';
import { architectureGraph, renderDiagram } from './diagram.js';
import { readNagReport, type NagResult } from './nag.js';
import {
  applyTags,
  findMissingTags,
  loadTaggableSpec,
  requiredTags,
  type MissingTag,
  type TaggableSpec,
} from './tags.js';
import { assertCloudReady, isCloudReady, type CloudReadyApp, type GateFinding } from '../model/gate.js';

/** CloudFormation's hard limit is 500 resources per stack; split well before it. */
export const STACK_RESOURCE_BUDGET = 450;

/**
 * The fewest resources a service brings (log group, task definition, ECS service, roles, policy)
 * and a database (instance, subnet group, secret, attachment); test/unit/infra/synth.test.ts checks
 * both. When these alone exceed the budget, `auto` splits without first building the single stack
 * only to count it (a second of CPU for 100 services).
 */
export const MIN_RESOURCES = { service: 6, database: 4 } as const;

function fewestResources(model: AppModel): number {
  return model.services.reduce(
    (n, s) => n + (s.intent.placement === 'managed' ? MIN_RESOURCES.database : MIN_RESOURCES.service),
    0,
  );
}

export interface SynthOptions {
  /** Cloud assembly directory. Default `cdk.out` (relative to the current directory). */
  outdir?: string;
  /** `auto` splits only past the resource budget; `always`/`never` force it. Default `auto`. */
  split?: 'auto' | 'always' | 'never';
  /** Run the cdk-nag AwsSolutions pack. Default true. */
  nag?: boolean;
  /** Check every taggable resource carries the required tags. Default true. */
  verifyTags?: boolean;
  /** Add constructs of your own before synthesis; the policy gate checks them too. Default none. */
  customize?: (composeApp: ComposeApp) => void;
  /** Progress messages (for stderr). Default: none. */
  onProgress?: (message: string) => void;
  /**
   * Pull images from this registry host (`host[:port]`) instead of ECR (deploy --registry).
   * Default: ECR repositories in a registry stack of their own.
   */
  imageRegistry?: string;
  /**
   * The account the templates are deployed to (deploy and diff: the caller's). Kept buckets get
   * static names, which the next deploy of a destroyed environment adopts. Not the stacks' `env`
   * account, which would make the VPC look its availability zones up.
   * Default: x-shipshape.aws.account, else none (the AWS::AccountId pseudo parameter).
   */
  account?: string;
  /**
   * Stop (exit 4) on unacknowledged cdk-nag findings. `check` turns it off to report them.
   * Default true.
   */
  failOnNag?: boolean;
}

export interface SynthStack {
  name: string;
  /** The stack's construct path (what the CDK toolkit selects stacks by). */
  id: string;
  resources: number;
  /** Cloud assembly JSON template. */
  templateFile: string;
  /** Plain CloudFormation YAML of the same template. */
  yamlFile: string;
}

export interface SynthResult {
  outdir: string;
  stacks: SynthStack[];
  split: boolean;
  nag?: NagResult;
  /** Architecture diagram (SVG). */
  diagramFile: string;
  /** Taggable resources missing a required tag (empty when verification passes or is off). */
  missingTags: Array<MissingTag & { stack: string }>;
  acknowledgedUnsafe: readonly GateFinding[];
  /** The environment's profile (dev or prod rules) the templates were built with. */
  profile: DeployProfile;
  /** Where each image goes and the parameter carrying its digest, per stack. */
  imageSlots: ImageSlot[];
  /** Stacks whose services wait for a job, and the parameter that holds them until it ran. */
  jobGates: JobGate[];
  /** The stack holding the ECR repositories (deployed before images are pushed); none with `imageRegistry`. */
  registryStack?: string;
  /** Estimated monthly cost of the templates (src/infra/cost.ts). */
  cost: CostEstimate;
}

/** Stack names: letters, digits and hyphens, starting with a letter. */
export function stackName(...parts: string[]): string {
  const name = parts
    .join('-')
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^A-Za-z]+/, '');
  return (name || 'shipshape').slice(0, 128);
}

function countResources(scope: IConstruct): number {
  return scope.node.findAll().filter((c) => CfnResource.isCfnResource(c)).length;
}

interface Built {
  cdkApp: App;
  composeApp: ComposeApp;
  stacks: Stack[];
  registryStack?: Stack;
}

/** Name of the stack holding an app environment's ECR repositories. */
export function registryStackName(model: AppModel): string {
  return stackName(model.name, model.x.environment, 'ecr');
}

/** How buildApp builds. */
interface BuildOptions {
  readonly outdir: string;
  readonly split: boolean;
  readonly nag: boolean;
  readonly imageRegistry?: string;
  readonly account?: string;
}

/** A CDK app writing its assembly to `outdir`, with cdk-nag as a validation plugin when asked. */
function newCdkApp(outdir: string, nag: boolean): App {
  const cdkApp = new App({
    outdir,
    analyticsReporting: false,
    // CDK's built-in schema validation takes seconds per stack and only warns; cfn-lint (run on
    // every example template in the integration tests) is the stricter check.
    builtinCloudFormationValidation: false,
    // No tree.json: nothing of ours reads it, toolkit-lib proceeds without it (it only filters
    // notices by it), and walking and writing the construct tree cost ~0.2 s for 100 services.
    treeMetadata: false,
    context: {
      // Keep synthesized metadata small and deterministic (no stack traces in the assembly):
      // neither for metadata entries nor for every construct's creation, which CDK otherwise
      // captures and renders per construct (a quarter second for 100 services) and writes, with
      // this machine's file paths, into *.metadata.json.
      'aws:cdk:disable-stack-trace': true,
      // Construct paths in each resource's metadata: diff and deploy's progress name resources by them.
      'aws:cdk:enable-path-metadata': true,
      'aws:cdk:disable-creation-stack-traces': true,
      // We read validation-report.json and report findings ourselves (exit 4), instead of CDK
      // printing them to stderr and throwing.
      '@aws-cdk/core:failSynthOnValidationErrors': false,
    },
  });
  if (nag) Validations.of(cdkApp).addPlugins(new AwsSolutionsChecks(cdkApp));
  return cdkApp;
}

/** One stack per service, made when the service is first placed, after the registry stack. */
function perServiceStacks(
  cdkApp: App,
  model: AppModel,
  stacks: Stack[],
  registryStack: Stack | undefined,
): (name: string) => Construct {
  const perService = new Map<string, Stack>();
  return (name) => {
    let s = perService.get(name);
    if (!s) {
      s = new Stack(cdkApp, `Service-${name}`, {
        stackName: stackName(model.name, model.x.environment, name),
        env: { region: model.x.aws.region },
        description: `shipshape: ${model.name} (${model.x.environment}) service ${name}`,
      });
      stacks.push(s);
      if (registryStack) s.addStackDependency(registryStack);
      perService.set(name, s);
    }
    return s;
  };
}

/** Build the construct tree of an app the gate passed: one stack, or a shared stack plus one stack per service. */
export function buildApp(ready: CloudReadyApp, options: BuildOptions): Built {
  const model = ready.model;
  const cdkApp = newCdkApp(options.outdir, options.nag);
  // Region only: a stack with an account looks its availability zones up (a context lookup the
  // toolkit refuses to synthesize without); the account goes where names need it (`account`).
  const env = { region: model.x.aws.region };
  const shared = new Stack(cdkApp, 'Shared', {
    stackName: stackName(model.name, model.x.environment),
    env,
    description: `shipshape: ${model.name} (${model.x.environment}) network, cluster and load balancer`,
  });
  const stacks: Stack[] = [shared];
  // Repositories live in a stack of their own that deploy creates first, so images can be pushed
  // before the services that run them exist (services name them, without cross-stack references).
  // Every container's image is in the app's own registry (built, or copied: see images.ts).
  const registryStack =
    cloudContainers(model).length > 0 && !options.imageRegistry
      ? new Stack(cdkApp, 'Registry', {
          stackName: registryStackName(model),
          env,
          description: `shipshape: ${model.name} (${model.x.environment}) image repositories (kept on destroy)`,
        })
      : undefined;
  const composeApp = new ComposeApp(shared, 'App', {
    app: ready,
    profile: resolveProfile(model),
    imageRegistry: options.imageRegistry,
    account: options.account ?? model.x.aws.account,
    repositoryScope: registryStack,
    scopeFor: options.split ? perServiceStacks(cdkApp, model, stacks, registryStack) : undefined,
  });
  if (registryStack) {
    shared.addStackDependency(registryStack);
    stacks.unshift(registryStack);
    applyTags(registryStack, model);
  }
  return { cdkApp, composeApp, stacks, registryStack };
}

/**
 * The whole pipeline: app model → CDK app (split into stacks when large) → cloud assembly, with
 * cdk-nag run as a CDK validation plugin, plus plain YAML per stack. Throws ShipshapeError with
 * exit 4 when the policy gate finds unacknowledged findings or a resource lacks a tag, and exit 2
 * when the compose file asks for unsafe settings without acknowledging them.
 */
/** The file that marks a directory as shipshape's output (so a later synth may replace it). */
export const OUTPUT_MARKER = '.shipshape-output';

/**
 * Whether `dir` may be replaced by a synth: it does not exist, is empty, or is a previous
 * shipshape output (the marker, or — from before the marker — a cloud assembly with shipshape's
 * architecture diagram). Never the project directory or one of its ancestors, never a file:
 * `synth -o .` must not delete the project, `-o README.md` must not replace a file.
 */
export function assertSafeOutput(dir: string, projectDir: string): void {
  const fail = (message: string, hint: string): never => {
    throw new ShipshapeError(message, { exitCode: ExitCode.usage, hint });
  };
  const real = realPath(dir);
  const project = realPath(projectDir);
  if (isInside(real, project))
    fail(
      `refusing to write the cloud assembly to ${dir}: it ${real === project ? 'is' : 'contains'} the project directory ${projectDir}, which synth would replace`,
      'write it to a directory of its own, e.g. `-o infra` or the default cdk.out',
    );
  let stat;
  try {
    stat = lstatSync(dir);
  } catch {
    return; // does not exist: made fresh
  }
  if (!stat.isDirectory() && !(stat.isSymbolicLink() && isDirectory(real)))
    fail(
      `refusing to write the cloud assembly to ${dir}: it is an existing file`,
      'name a directory (new, or a previous shipshape output)',
    );
  const entries = readdirSync(real);
  const previous =
    entries.includes(OUTPUT_MARKER) ||
    (entries.includes('manifest.json') && entries.includes('architecture.svg'));
  if (entries.length > 0 && !previous)
    fail(
      `refusing to replace ${dir}: it is a non-empty directory shipshape did not make (no ${OUTPUT_MARKER})`,
      'name a new or empty directory, or one a previous `shipshape synth` wrote',
    );
}

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/**
 * Synthesize an app: the cloud gate runs first (exit 2 on an open finding) unless `app` already
 * passed it (deploy gates before it asks AWS anything).
 */
export async function synthesize(
  app: AppModel | CloudReadyApp,
  options: SynthOptions = {},
): Promise<SynthResult> {
  const ready = isCloudReady(app) ? app : assertCloudReady(app);
  const model = ready.model;
  const finalDir = resolve(options.outdir ?? 'cdk.out');
  assertSafeOutput(finalDir, model.projectDir);
  // Work in a staging directory and swap it in only when everything passed, so a failed or
  // interrupted synth never leaves a half-written (or half-checked) assembly at `outdir`.
  const staging = `${finalDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const unregister = onCleanup(`remove ${staging}`, () => rmSync(staging, { recursive: true, force: true }));
  try {
    const result = await synthesizeInto(ready, staging, options);
    await interruptionPoint(); // Ctrl-C: nothing replaces the output; the staging directory goes
    writeFileSync(
      join(staging, OUTPUT_MARKER),
      `${JSON.stringify({ tool: 'shipshape', app: model.name })}\n`,
    );
    assertSafeOutput(finalDir, model.projectDir); // again: it may have changed while synth ran
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(staging, finalDir);
    const moved = (p: string) => join(finalDir, p.slice(staging.length + 1));
    return {
      ...result,
      outdir: finalDir,
      diagramFile: moved(result.diagramFile),
      stacks: result.stacks.map((st) => ({
        ...st,
        templateFile: moved(st.templateFile),
        yamlFile: moved(st.yamlFile),
      })),
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
    unregister();
  }
}

type Template = { Resources?: Record<string, { Type: string }> };

/** Build the construct tree, split per service when `auto` finds it too large for one stack. */
function buildSplitAsNeeded(
  ready: CloudReadyApp,
  outdir: string,
  options: SynthOptions,
  progress: (m: string) => void,
): Built & { split: boolean } {
  const nag = options.nag ?? true;
  const auto = options.split === undefined || options.split === 'auto';
  const surelyOver = fewestResources(ready.model) > STACK_RESOURCE_BUDGET;
  const registry = options.imageRegistry;
  const account = options.account;
  if (options.split === 'always' || (auto && surelyOver)) {
    if (auto) progress(`more than ${STACK_RESOURCE_BUDGET} resources: one stack per service`);
    return {
      ...buildApp(ready, { outdir, split: true, nag, imageRegistry: registry, account }),
      split: true,
    };
  }
  const single = buildApp(ready, { outdir, split: false, nag, imageRegistry: registry, account });
  const main = single.stacks.find((st) => st !== single.registryStack)!;
  if (!auto || countResources(main) <= STACK_RESOURCE_BUDGET) return { ...single, split: false };
  progress(`more than ${STACK_RESOURCE_BUDGET} resources: one stack per service`);
  return { ...buildApp(ready, { outdir, split: true, nag, imageRegistry: registry, account }), split: true };
}

/** Synthesize the assembly (cdk-nag runs as a validation plugin) and fail on unacknowledged findings. */
function synthesizeWithPolicyGate(
  built: Built,
  outdir: string,
  nag: boolean,
  failOnNag: boolean,
): NagResult | undefined {
  // CDK is told not to throw on policy violations (see buildApp); this catch only keeps a CDK
  // that throws anyway from hiding our own, more readable report.
  let validationError: unknown;
  try {
    built.cdkApp.synth();
  } catch (e) {
    if (!(e instanceof Error) || !/ValidationFailed|Validation failed/.test(`${e.name} ${e.message}`))
      throw e;
    validationError = e;
  }
  const nagResult = nag ? readNagReport(outdir, 'AwsSolutions', built.cdkApp) : undefined;
  if (validationError && (!nagResult || nagResult.findings.length === 0)) throw validationError;
  if (nagResult && nagResult.findings.length > 0 && failOnNag) {
    throw new ShipshapeError(
      `the policy gate (cdk-nag AwsSolutions) found ${nagResult.findings.length} unacknowledged finding(s)`,
      {
        exitCode: ExitCode.verification,
        hint: 'fix the resource, or acknowledge the rule in code with Validations.of(construct).acknowledge({ id, reason })',
        more: nagResult.findings.map((f) => ({
          severity: 'error',
          message: `${f.rule}: ${f.description} (${f.resources.join(', ')})`,
        })),
      },
    );
  }
  return nagResult;
}

/**
 * Plain CloudFormation YAML beside each assembly template. js-yaml writes it: several times faster
 * than `yaml` on templates, and it quotes strings a YAML 1.1 reader such as CloudFormation's would
 * take for booleans ('yes', 'on'...) or dates.
 */
function writeYamlTemplates(
  built: Built,
  outdir: string,
): { stacks: SynthStack[]; templates: Map<string, Template> } {
  const stacks: SynthStack[] = [];
  const templates = new Map<string, Template>();
  for (const stack of built.stacks) {
    const templateFile = join(outdir, stack.templateFile);
    const template = JSON.parse(readFileSync(templateFile, 'utf8')) as Template;
    const yamlFile = join(outdir, `${stack.stackName}.template.yaml`);
    writeFileSync(yamlFile, toYaml(template, { noRefs: true, lineWidth: -1 }));
    templates.set(stack.stackName, template);
    stacks.push({
      name: stack.stackName,
      id: stack.node.path,
      resources: Object.keys(template.Resources ?? {}).length,
      templateFile,
      yamlFile,
    });
  }
  return { stacks, templates };
}

/** Every taggable resource lacking a required tag; throws (exit 4) when there is one. */
function checkTags(
  model: AppModel,
  templates: Map<string, Template>,
  spec: TaggableSpec,
): SynthResult['missingTags'] {
  const missingTags: SynthResult['missingTags'] = [];
  const required = requiredTags(model);
  for (const [name, template] of templates) {
    for (const m of findMissingTags(template, required, spec)) missingTags.push({ ...m, stack: name });
  }
  if (missingTags.length > 0) {
    throw new ShipshapeError(`${missingTags.length} taggable resource(s) lack required tags`, {
      exitCode: ExitCode.verification,
      more: missingTags.map((m) => ({
        severity: 'error',
        message: `${m.stack}/${m.logicalId} (${m.type}) lacks ${m.missing.join(', ')}`,
      })),
    });
  }
  return missingTags;
}

async function synthesizeInto(
  ready: CloudReadyApp,
  outdir: string,
  options: SynthOptions,
): Promise<SynthResult> {
  const model = ready.model;
  const progress = options.onProgress ?? (() => {});
  const nag = options.nag ?? true;
  const verifyTags = options.verifyTags ?? true;
  const specLoading = verifyTags ? loadTaggableSpec() : undefined;
  specLoading?.catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile
  // The diagram depends on the model alone: its layout runs in a worker thread while CDK works.
  const drawing = renderDiagram(architectureGraph(model), `${model.name} (${model.x.environment})`);
  drawing.catch(() => {});

  progress(`building constructs for ${model.services.length} service(s)`);
  const built = buildSplitAsNeeded(ready, outdir, options, progress);
  options.customize?.(built.composeApp);
  for (const reason of built.composeApp.network.existing?.reasons ?? []) progress(reason);
  await interruptionPoint();
  progress(`synthesizing ${built.stacks.length} stack(s)${nag ? ' with cdk-nag AwsSolutions' : ''}`);
  const nagResult = synthesizeWithPolicyGate(built, outdir, nag, options.failOnNag !== false);
  await interruptionPoint();

  progress('writing CloudFormation YAML');
  const { stacks, templates } = writeYamlTemplates(built, outdir);
  let missingTags: SynthResult['missingTags'] = [];
  if (specLoading) {
    progress('checking tags against the CloudFormation resource specification');
    missingTags = checkTags(model, templates, await specLoading);
  }

  progress('drawing the architecture diagram');
  const diagramFile = join(outdir, 'architecture.svg');
  writeFileSync(diagramFile, await drawing);

  return {
    outdir,
    diagramFile,
    stacks,
    split: built.split,
    nag: nagResult,
    missingTags,
    acknowledgedUnsafe: built.composeApp.acknowledgedUnsafe,
    profile: built.composeApp.profile,
    imageSlots: built.composeApp.imageSlots,
    jobGates: built.composeApp.jobGates,
    registryStack: built.registryStack?.stackName,
    cost: estimateCost([...templates.values()]),
  };
}
