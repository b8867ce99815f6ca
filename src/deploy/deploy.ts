import type { TemplateDiff } from '@aws-cdk/cloudformation-diff';
import { requireEngine, engine } from '../engine/client.js';
import { describeProfile } from '../infra/profile.js';
import { ExitCode, ShipshapeError, type ExitCodeValue } from '../model/errors.js';
import type { AppModel, Diagnostic } from '../model/types.js';
import { onCleanup } from '../support/cleanup.js';
import { clientConfig, followHint } from '../aws/config.js';
import { confirmChanges, reviewChanges } from './change-review.js';
import { classifyDiff, weakening, type DiffReport } from './diff.js';
import { ecrRegistry } from './ecr.js';
import { assertImageArchitectures } from './architecture.js';
import { digestParameters, makeImages, plainRegistry, pushImages, type PushedImage } from './images.js';
import { ensureBootstrap, openSession, selectStacks, type CloudSession } from './session.js';
import { assertDeployable, deployedParameters, stackResources, stackStatus } from '../aws/stacks.js';
import { deployWithJobs } from './jobs.js';
import { jobDependents } from '../model/intent/placement.js';
import { diagnose, ecsServices, waitSteady, type ServiceState, type StoppedTask } from './steady.js';
import type { DeployIoHost } from './io-host.js';
import type { HistoryEntry, RecordedAssembly } from './history.js';
import { recordDeployment, urlOutputs, type DeploymentRecord, type Redeployable } from './record.js';

export type DeployMethod = 'change-set' | 'direct';

export interface DeployOptions {
  /** Answer yes to bootstrap and to security changes. Default false. */
  yes?: boolean;
  /** Deploy trace-verified slim images. Default false. */
  slim?: boolean;
  /** Push built images to this registry host instead of ECR. Default ECR. */
  registry?: string;
  /** How CloudFormation applies the templates. Default `change-set`. */
  method?: DeployMethod;
  /** Wait for the ECS services to reach a steady state. Default true. */
  wait?: boolean;
  /** How long to wait for steady state. Default 15 minutes. */
  timeoutMs?: number;
  /** Asks a yes/no question (TTY prompt in the CLI); default: no. */
  confirm?: (question: string) => Promise<boolean>;
  io?: DeployIoHost;
  onProgress?: (line: string) => void;
  /**
   * Redeploy a recorded deployment (`shipshape rollback`, src/cloud/rollback.ts): its stored
   * templates with its image tags, instead of synthesizing and building. Default: none.
   */
  redeploy?: { entry: HistoryEntry; assembly: RecordedAssembly; from: string };
}

export interface DeployReport {
  app: string;
  environment: string;
  profile: string;
  account: string;
  region: string;
  bootstrap: 'present' | 'created';
  stacks: { name: string; status?: string }[];
  images: PushedImage[];
  urls: string[];
  services: ServiceState[];
  security: DiffReport['security'];
  durationMs: number;
}

export async function deployApp(app: AppModel, options: DeployOptions = {}): Promise<DeployReport> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  const confirm = options.confirm ?? (async () => false);
  const s = await openSession(app, {
    verb: 'deploy',
    imageRegistry: options.registry,
    io: options.io,
    onProgress: progress,
    recorded: options.redeploy?.assembly,
  });
  try {
    for (const line of describeProfile(s.synth.profile)) progress(line);
    for (const name of s.synth.stacks.map((x) => x.name))
      assertDeployable(name, await stackStatus(s.target.region, name), s.target.region);
    const bootstrap = await ensureBootstrap(s, options.yes ?? false, confirm, progress);
    const security = await reviewSecurity(s, options.yes ?? false, confirm, progress);
    await confirmChanges(security, options.yes ?? false, confirm, progress);
    const images = options.redeploy ? [] : await buildAndPush(s, options, progress);
    const parameters = options.redeploy?.entry.parameters ?? digestParameters(s.synth.imageSlots, images);
    const outcome = { started, bootstrap, security, images, parameters };
    return await applyAndRecord(s, options, outcome, progress);
  } finally {
    s.io.stop();
    s.close();
  }
}

/** What deploy settled before it touched the app's stacks. */
interface Prepared {
  started: number;
  bootstrap: DeployReport['bootstrap'];
  security: DiffReport;
  images: PushedImage[];
  parameters: Record<string, string>;
}

/**
 * Deploy the app stacks (jobs run where they must, src/deploy/jobs.ts), wait for steady state,
 * and record the outcome — failed ones too: the stacks were touched, `report` says how far it got.
 */
async function applyAndRecord(
  s: CloudSession,
  options: DeployOptions,
  p: Prepared,
  progress: (line: string) => void,
): Promise<DeployReport> {
  const { app } = s;
  const { region } = s.target;
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  const stackStates = () =>
    Promise.all(
      s.synth.stacks.map(async (x) => ({ name: x.name, status: await stackStatus(region, x.name) })),
    );
  try {
    await deployWithJobs({
      app,
      region,
      stacks: s.appStacks,
      gates: s.synth.jobGates,
      dependentImages: dependentImages(s),
      parameters: p.parameters,
      deploy: (params) => deployStacks(s, s.appStacks, params, options.method ?? 'change-set', progress),
      deployedParameters: (stack) => deployedParameters(region, stack),
      stackStatus: (stack) => stackStatus(region, stack),
      timeoutMs,
      progress,
    });
    const services = options.wait === false ? [] : await settle(s, timeoutMs, progress);
    const report: DeployReport = {
      app: app.name,
      environment: app.x.environment,
      profile: s.synth.profile.kind,
      account: s.target.account,
      region,
      bootstrap: p.bootstrap,
      stacks: await stackStates(),
      images: p.images,
      urls: await appUrls(s),
      services,
      security: p.security.security,
      durationMs: Date.now() - p.started,
    };
    const recordedImages = options.redeploy?.entry.images ?? report.images;
    const images = recordedImages.map((i) => ({
      service: i.service,
      reference: i.reference,
      digest: i.digest,
    }));
    record(app, s, 'DEPLOYED', report.stacks, report.urls, { images }, progress, {
      synth: s.synth,
      parameters: p.parameters,
      rollbackFrom: options.redeploy?.from,
    });
    return report;
  } catch (err) {
    const stacks = await stackStates().catch(() => []);
    const error = err instanceof Error ? err.message : String(err);
    record(app, s, 'FAILED', stacks, [], { error }, progress);
    throw err;
  }
}

/** Record the deployment's outcome under `.shipshape/deploy/` (see record.ts). */
function record(
  app: AppModel,
  s: CloudSession,
  status: 'DEPLOYED' | 'FAILED',
  stacks: { name: string; status?: string }[],
  urls: string[],
  extra: Pick<DeploymentRecord, 'images' | 'error'>,
  progress: (line: string) => void,
  redeployable?: Redeployable,
): void {
  try {
    const outcome: DeploymentRecord = {
      environment: app.x.environment,
      status,
      time: new Date().toISOString(),
      account: s.target.account,
      region: s.target.region,
      stacks,
      outputs: urlOutputs(urls),
      ...extra,
    };
    recordDeployment(app, outcome, redeployable);
  } catch (err) {
    // The record is for `shipshape report`; a project directory we cannot write to must not turn
    // a finished deployment into a failed one.
    progress(`warning: could not record the deployment: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * What a deploy of the app would change (`shipshape diff`): a session (the same gate and synth as
 * deploy), then the template diff, security first, with the change hazards.
 */
export async function diffApp(
  app: AppModel,
  options: { registry?: string; onProgress?: (line: string) => void } = {},
): Promise<DiffReport> {
  const s = await openSession(app, {
    verb: 'diff',
    imageRegistry: options.registry,
    onProgress: options.onProgress ?? (() => undefined),
  });
  try {
    return await diffStacks(s);
  } finally {
    s.close();
  }
}

/** Template diff of the app stacks against what is deployed (empty stacks diff against nothing). */
export async function diffStacks(s: CloudSession): Promise<DiffReport> {
  const { DiffMethod } = await import('@aws-cdk/toolkit-lib');
  // A template diff: change-set diffs need the stacks' parameters and an API moto lacks, and
  // image digests (the parameters) are compared by deploy itself.
  const diffs = (await s.toolkit.diff(s.cx, {
    stacks: await selectStacks(
      s,
      s.synth.stacks.map((x) => x.name),
    ),
    method: DiffMethod.TemplateOnly(),
  })) as Record<string, TemplateDiff>;
  const templates = Object.fromEntries(s.synth.stacks.map((x) => [x.name, s.template(x.name)]));
  return { ...classifyDiff(diffs, templates), ...(await reviewChanges(s)) };
}

/** Before changing anything: what would widen access. With it, ask (or go on with --yes). */
async function reviewSecurity(
  s: CloudSession,
  yes: boolean,
  confirm: (q: string) => Promise<boolean>,
  progress: (line: string) => void,
): Promise<DiffReport> {
  const report = await diffStacks(s);
  const wider = weakening(report);
  const created = report.resources.filter((r) => r.action === 'add').length;
  if (report.security.length > 8) {
    // A first deploy lists every rule and policy: count them here, `shipshape diff` lists them.
    progress(
      `security: ${wider.length} change(s) widen access, ${report.security.length - wider.length} narrow it, ${created} resource(s) to create (shipshape diff lists them)`,
    );
  } else {
    for (const w of report.security) progress(`security: ${w.stack}: ${w.text}`);
  }
  if (wider.length === 0 || yes) return report;
  if (!(await confirm(`${wider.length} change(s) widen access (listed above). Deploy them?`))) {
    throw new ShipshapeError('deploy cancelled: security changes were not approved', {
      exitCode: ExitCode.usage,
      hint: 'review them with `shipshape diff`, then deploy with --yes (or answer yes)',
    });
  }
  return report;
}

async function buildAndPush(
  s: CloudSession,
  options: DeployOptions,
  progress: (line: string) => void,
): Promise<PushedImage[]> {
  const slots = s.synth.imageSlots;
  if (slots.length === 0) return [];
  const docker = await requireEngine(engine());
  const local = await makeImages(s.app, slots, { docker, slim: options.slim, onProgress: progress });
  await assertImageArchitectures(docker, s.app, local);
  if (s.synth.registryStack) {
    progress(`creating the image repositories (${s.synth.registryStack})`);
    await deployStacks(s, [s.synth.registryStack], {}, options.method ?? 'change-set', progress);
  }
  const target = options.registry ? plainRegistry(options.registry) : await ecrRegistry(s.target.region);
  return pushImages(docker, local, target, progress);
}

/** The image parameters of the services that wait for a job (held back until it has run). */
function dependentImages(s: CloudSession): Set<string> {
  const waiting = new Set(jobDependents(s.app));
  return new Set(
    s.synth.imageSlots
      .filter((slot) => waiting.has(slot.service))
      .map((slot) => `${slot.stackName}:${slot.parameter}`),
  );
}

/** Deploy `stacks` with these parameters (image digests, job gates); Ctrl-C leaves CloudFormation going. */
async function deployStacks(
  s: CloudSession,
  stacks: string[],
  parameters: Record<string, string>,
  method: DeployMethod,
  progress: (line: string) => void,
): Promise<void> {
  const { StackParameters } = await import('@aws-cdk/toolkit-lib');
  const region = s.target.region;
  const unregister = onCleanup('report CloudFormation in flight', () => {
    process.stderr.write(
      `CloudFormation carries on with ${stacks.join(', ')} on its own; shipshape stopped watching.\n` +
        `Follow it with: ${stacks.map((n) => followHint(n, region)).join('\n  ')}\n` +
        'Run shipshape deploy again once it has finished (or rolled back).\n',
    );
  });
  await s.io.start();
  try {
    await s.toolkit.deploy(s.cx, {
      stacks: await selectStacks(s, stacks),
      // A kept resource with a static name (a retained bucket or table, the image repositories, the
      // WAF log group) left by a destroyed environment is adopted, with its data, instead of
      // failing with "already exists" (CloudFormation's import of existing named resources).
      deploymentMethod:
        method === 'direct' ? { method: 'direct' } : { method: 'change-set', importExistingResources: true },
      parameters: StackParameters.exactly(parameters),
    });
  } catch (e) {
    s.io.stop();
    throw deployFailure(s, stacks, e);
  } finally {
    unregister();
  }
  s.io.stop();
  progress(`deployed ${stacks.join(', ')}`);
}

function deployFailure(s: CloudSession, stacks: string[], e: unknown): ShipshapeError {
  const failures = s.io.board.failures();
  const more: Diagnostic[] = failures.map((r) => ({
    severity: 'error',
    message: `${r.stack}: ${r.resource} (${r.type}) ${r.status}: ${r.reason}`,
  }));
  const first = failures[0];
  return new ShipshapeError(
    `deploying ${stacks.join(', ')} failed: ${first ? `${first.resource} ${first.status}: ${first.reason}` : (e as Error).message}`,
    {
      exitCode: ExitCode.failure,
      hint: `CloudFormation rolled the stack back; see ${followHint(stacks[0]!, s.target.region)}`,
      more,
      cause: e,
    },
  );
}

/** Wait for steady state; on failure, the stopped tasks' reasons and last log lines, then exit 1. */
async function settle(
  s: CloudSession,
  timeoutMs: number,
  progress: (line: string) => void,
): Promise<ServiceState[]> {
  const services = [];
  for (const stack of s.appStacks)
    services.push(...ecsServices(await stackResources(s.target.region, stack)));
  if (services.length === 0) return [];
  progress(`waiting for ${services.length} service(s) to reach a steady state`);
  const result = await waitSteady(services, { region: s.target.region, timeoutMs, onProgress: progress });
  if (result.unsteady.length === 0) return result.steady;
  const more: Diagnostic[] = [];
  for (const svc of result.unsteady) {
    more.push({
      severity: 'error',
      message: `${svc.name}: ${svc.running}/${svc.desired} running, rollout ${svc.rollout ?? 'unknown'}${svc.rolloutReason ? `: ${svc.rolloutReason}` : ''}`,
    });
    for (const t of await diagnose(s.target.region, svc)) more.push(...taskDiagnostics(svc.name, t));
  }
  throw new ShipshapeError(
    result.timedOut
      ? `${result.unsteady.length} service(s) did not reach a steady state within ${Math.round(timeoutMs / 1000)} s`
      : `the rollout of ${result.unsteady.map((x) => x.name).join(', ')} failed (the circuit breaker rolls it back)`,
    {
      exitCode: ExitCode.failure as ExitCodeValue,
      hint: 'fix what the stopped tasks and logs below show, then deploy again',
      more,
    },
  );
}

function taskDiagnostics(service: string, t: StoppedTask): Diagnostic[] {
  const id = t.taskArn.split('/').pop();
  const out: Diagnostic[] = [
    { severity: 'error', message: `${service} task ${id} stopped: ${t.stoppedReason ?? 'no reason given'}` },
  ];
  for (const c of t.containers) {
    if (c.exitCode !== undefined || c.reason) {
      out.push({
        severity: 'error',
        message: `  container ${c.name}: exit ${c.exitCode ?? '?'}${c.reason ? ` (${c.reason})` : ''}`,
      });
    }
  }
  for (const [container, lines] of Object.entries(t.logs)) {
    if (lines.length === 0) continue;
    out.push({
      severity: 'error',
      message: `  last log lines of ${container}:\n${lines.map((l) => `    | ${l}`).join('\n')}`,
    });
  }
  return out;
}

/** The app's URLs: the domain when configured, and each load balancer's DNS name. */
async function appUrls(s: CloudSession): Promise<string[]> {
  const urls: string[] = [];
  const https = s.synth.profile.https;
  if (https?.domain) urls.push(`https://${https.domain}`);
  const arns: string[] = [];
  for (const stack of s.appStacks) {
    for (const r of await stackResources(s.target.region, stack)) {
      if (r.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' && r.physicalId) arns.push(r.physicalId);
    }
  }
  if (arns.length === 0) return urls;
  const { ElasticLoadBalancingV2Client, DescribeLoadBalancersCommand } =
    await import('@aws-sdk/client-elastic-load-balancing-v2');
  const elb = new ElasticLoadBalancingV2Client(clientConfig(s.target.region));
  try {
    const res = await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: arns }));
    for (const lb of res.LoadBalancers ?? []) {
      if (!lb.DNSName) continue;
      urls.push(
        lb.Type === 'network' ? `${lb.DNSName} (TCP/UDP)` : `${https ? 'https' : 'http'}://${lb.DNSName}`,
      );
    }
  } finally {
    elb.destroy();
  }
  return urls;
}
