import { JOBS_DONE_PARAMETER, type JobGate } from '../infra/compose-app.js';
import { environmentRecord } from './record.js';
import { startOrder } from '../model/graph.js';
import { jobDependents, jobs as jobsOf } from '../model/intent/placement.js';
import { ExitCode, ShipshapeError, type ExitCodeValue } from '../model/errors.js';
import type { AppModel, Diagnostic } from '../model/types.js';
import { cloudClients } from '../aws/clients.js';
import { discoverEnvironment, type CloudJob } from '../aws/environment.js';
import { runOneOffTask, type OneOffTaskResult } from '../aws/one-off-task.js';

/**
 * Jobs in a deploy (docs/deploy.md, "Jobs"): a job is a task definition without an ECS service,
 * run once with RunTask after what it depends on exists and before the services that wait for it
 * run the new version, as compose runs a `service_completed_successfully` dependency:
 *
 * 1. The stacks are deployed. On a first deploy the services that wait for a job are held at zero
 *    tasks (`JobsDone=no`). On a later one they keep the image they run (their image parameters
 *    held at the deployed values), so a migration runs before the code that needs it.
 * 2. Each job whose task definition changed (every job, the first time) runs to completion, in
 *    dependency order; a failure stops the deploy with its exit code, stop reason and log lines.
 * 3. The stacks are deployed again with `JobsDone=yes` and the new images, when step 1 held back.
 */
export interface JobDeploy {
  app: AppModel;
  region: string;
  stacks: readonly string[];
  gates: readonly JobGate[];
  /** Image parameters (`<stack>:<parameter>` → tag) of the services that wait for a job. */
  dependentImages: ReadonlySet<string>;
  parameters: Record<string, string>;
  /** Deploy the app stacks with these parameters. */
  deploy(parameters: Record<string, string>): Promise<void>;
  /** The parameters a stack was deployed with (for holding images back). */
  deployedParameters(stack: string): Promise<Record<string, string>>;
  /** A stack's status; undefined when it does not exist. */
  stackStatus(stack: string): Promise<string | undefined>;
  timeoutMs: number;
  progress(line: string): void;
  /** How the deployed jobs are found and run. Default: the ECS API (src/cloud). */
  cloud?: JobCloud;
}

/** The cloud side of running jobs: where each deployed job is, and a run to completion. */
export interface JobCloud {
  /** The deployed jobs (none when nothing is deployed yet). */
  deployedJobs(): Promise<CloudJob[]>;
  run(
    job: CloudJob & { network: NonNullable<CloudJob['network']>; cluster: string },
  ): Promise<OneOffTaskResult>;
}

export async function deployWithJobs(d: JobDeploy): Promise<void> {
  const names = jobsOf(d.app).map((s) => s.name);
  if (names.length === 0) return d.deploy(d.parameters);
  const first = (await Promise.all(d.gates.map((g) => d.stackStatus(g.stackName)))).some(
    (status) => status === undefined || status === 'REVIEW_IN_PROGRESS',
  );
  const cloud = d.cloud ?? ecsJobs(d);
  const before = first
    ? new Map<string, string>()
    : new Map((await cloud.deployedJobs().catch(() => [])).map((j) => [j.name, j.taskDefinition]));
  const held = first ? {} : await heldImages(d);
  const phaseA = { ...d.parameters, ...held, ...gateParameters(d.gates, first ? 'no' : 'yes') };
  if (first) d.progress(`first deploy: ${jobDependents(d.app).join(', ')} start once their job(s) completed`);
  else if (Object.keys(held).length > 0)
    d.progress(`the services that wait for a job keep their images until it has run`);
  await d.deploy(phaseA);
  await runChangedJobs(d, cloud, names, before);
  if (first || Object.keys(held).length > 0)
    await d.deploy({ ...d.parameters, ...gateParameters(d.gates, 'yes') });
}

function gateParameters(gates: readonly JobGate[], value: 'yes' | 'no'): Record<string, string> {
  return Object.fromEntries(
    gates.map((g) => [`${g.stackName}:${g.parameter ?? JOBS_DONE_PARAMETER}`, value]),
  );
}

/** The dependents' image parameters whose new value differs from the deployed one: held at the deployed one. */
async function heldImages(d: JobDeploy): Promise<Record<string, string>> {
  const held: Record<string, string> = {};
  for (const key of d.dependentImages) {
    const [stack, parameter] = key.split(':') as [string, string];
    const deployed = (await d.deployedParameters(stack))[parameter];
    if (deployed && deployed !== d.parameters[key]) held[key] = deployed;
  }
  return held;
}

/** Jobs through the ECS API: discovered from the deployed stacks, run with RunTask. */
function ecsJobs(d: JobDeploy): JobCloud {
  return {
    async deployedJobs() {
      const clients = cloudClients(d.region);
      try {
        return (await discoverEnvironment(d.app, clients, environmentRecord(d.app, d.app.x.environment)))
          .jobs;
      } finally {
        clients.destroy();
      }
    },
    run: (job) =>
      runOneOffTask({
        region: d.region,
        cluster: job.cluster,
        taskDefinition: job.taskDefinition,
        networkConfiguration: { awsvpcConfiguration: { ...job.network, assignPublicIp: 'DISABLED' } },
        startedBy: 'shipshape-deploy',
        timeoutMs: d.timeoutMs,
        onLog: (l) => d.progress(`${job.name} | ${l.text}`),
      }),
  };
}

async function runChangedJobs(
  d: JobDeploy,
  cloud: JobCloud,
  names: string[],
  before: Map<string, string>,
): Promise<void> {
  const deployed = await cloud.deployedJobs();
  const order = startOrder(d.app.services).filter((n) => names.includes(n));
  for (const name of order) {
    const job = deployed.find((j) => j.name === name);
    if (!job) throw jobError(name, 'its task definition is not in the deployed stacks', []);
    if (before.get(name) === job.taskDefinition) {
      d.progress(`${name}: unchanged since it last ran, not run again`);
      continue;
    }
    await runJob(d, cloud, job);
  }
}

async function runJob(d: JobDeploy, cloud: JobCloud, job: CloudJob): Promise<void> {
  if (!job.network || !job.cluster)
    throw jobError(
      job.name,
      'the template does not say where it runs (subnets, security group, cluster)',
      [],
    );
  d.progress(`${job.name}: running the job (${job.taskDefinition.split('/').pop()})`);
  const result = await cloud.run({ ...job, network: job.network, cluster: job.cluster });
  if (result.outcome === 'exited' && result.exitCode === 0) {
    d.progress(`${job.name}: completed (exit 0) in ${Math.round(result.durationMs / 1000)} s`);
    return;
  }
  const why =
    result.outcome === 'exited'
      ? `exited with code ${result.exitCode}`
      : result.outcome === 'timed-out'
        ? `did not finish within ${Math.round(d.timeoutMs / 1000)} s`
        : `stopped without running: ${result.stopReason ?? result.stopCode ?? 'no reason given'}`;
  throw jobError(job.name, why, result.lastLogLines);
}

function jobError(name: string, why: string, lines: string[]): ShipshapeError {
  const more: Diagnostic[] = lines.length
    ? [
        {
          severity: 'error',
          message: `last log lines of ${name}:\n${lines.map((l) => `  | ${l}`).join('\n')}`,
        },
      ]
    : [];
  return new ShipshapeError(`job ${name} ${why}; the services that wait for it were not updated`, {
    exitCode: ExitCode.failure as ExitCodeValue,
    hint: `fix the job, then deploy again (\`shipshape logs --env ENV ${name}\` shows its output)`,
    more,
  });
}
