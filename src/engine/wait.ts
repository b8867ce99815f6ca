import type Docker from 'dockerode';
import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { DependencyCondition, SourceLocation } from '../model/types.js';
import { execInContainer } from './exec.js';
import { lastLogLines } from './logs.js';

/**
 * The one wait module: when is a started container ready? Strategies are small objects in the
 * style of testcontainers' `Wait.for…`; `up` and `slim`'s dependency runner wait with the same
 * ones, so a compose `depends_on` condition means the same thing in both.
 *
 * Readiness by healthcheck does not wait for the engine: engine 20.10 has no healthcheck
 * `start_interval`, so its first check comes one full `interval` (often 10–30 s) after the start.
 * `forHealthcheck` runs the container's own healthcheck command itself — exec, same user, same
 * timeout — at a short interval until it passes; the engine's healthcheck keeps running as
 * declared for everything after that.
 */

/** The container as the engine reports it (`docker inspect`). */
export type ContainerInfo = Docker.ContainerInspectInfo;

/** One look at a container: ready, not yet, or failed for good (with the reason). */
export type Look = { state: 'ready' } | { state: 'waiting' } | { state: 'failed'; reason: string };

export interface WaitStrategy {
  /** What is awaited, for messages: `healthy`, `listening`, ... */
  readonly description: string;
  check(docker: Docker, info: ContainerInfo): Promise<Look>;
}

const READY: Look = { state: 'ready' };
const WAITING: Look = { state: 'waiting' };
const failed = (reason: string): Look => ({ state: 'failed', reason });

/** A server that stopped is never going to be ready. */
function stopped(info: ContainerInfo): Look | undefined {
  const st = info.State;
  if (st.Status === 'exited' || st.Status === 'dead') return failed(`exited with code ${st.ExitCode}`);
  if (st.Restarting) return failed('keeps restarting');
  return undefined;
}

/** The healthcheck command as an argv: `CMD` runs directly, `CMD-SHELL` through `/bin/sh -c`. */
export function healthcheckArgv(test: readonly string[] | undefined): string[] | undefined {
  if (!test || test.length === 0 || test[0] === 'NONE') return undefined;
  if (test[0] === 'CMD') return test.slice(1);
  if (test[0] === 'CMD-SHELL') return ['/bin/sh', '-c', test.slice(1).join(' ')];
  return undefined;
}

/**
 * Without a healthcheck, "healthy" is running — for a second, so that a program that fails at
 * once is caught rather than taken for a server that started.
 */
const MIN_UPTIME_MS = 1000;

function runningFor(info: ContainerInfo): number {
  const started = Date.parse(info.State.StartedAt);
  return Number.isNaN(started) ? 0 : Date.now() - started;
}

/** The engine's healthcheck timeout default (moby `defaultProbeTimeout`). */
const DEFAULT_HEALTH_TIMEOUT_MS = 30_000;

export const Wait = {
  /** compose `service_started`: ready once started. */
  forStarted(): WaitStrategy {
    return { description: 'started', check: async () => READY };
  },

  /**
   * compose `service_healthy`: the container's healthcheck (compose's, else the image's) passes,
   * run by shipshape itself; running for a second, when it has none.
   */
  forHealthcheck(): WaitStrategy {
    return {
      description: 'healthy',
      async check(docker, info) {
        const gone = stopped(info);
        if (gone) return gone;
        if (!info.State.Running) return WAITING;
        if (info.State.Health?.Status === 'healthy') return READY;
        if (info.State.Health?.Status === 'unhealthy') return failed('is unhealthy');
        const hc = info.Config.Healthcheck as { Test?: string[]; Timeout?: number } | undefined;
        const argv = healthcheckArgv(hc?.Test);
        if (!argv) return runningFor(info) >= MIN_UPTIME_MS ? READY : WAITING;
        const run = await execInContainer(docker, info.Id, argv, {
          user: info.Config.User || undefined,
          timeoutMs: hc?.Timeout ? hc.Timeout / 1_000_000 : DEFAULT_HEALTH_TIMEOUT_MS,
        }).catch(() => undefined); // the container stopped under us: the next look says how
        return run?.exitCode === 0 ? READY : WAITING;
      },
    };
  },

  /** A line containing `text` in the container's output. */
  forLogMessage(text: string, description = 'listening'): WaitStrategy {
    return Wait.forLog((log) => log.includes(text), description);
  },

  /** The container's output so far (its last 1000 lines) satisfies `ready`. */
  forLog(ready: (log: string) => boolean, description: string): WaitStrategy {
    return {
      description,
      async check(docker, info) {
        const gone = stopped(info);
        if (gone) return gone;
        return ready(await lastLogLines(docker, info.Id, 1000)) ? READY : WAITING;
      },
    };
  },

  /** compose `service_completed_successfully`: exited with code 0. */
  forSuccessfulExit(): WaitStrategy {
    return {
      description: 'completed',
      async check(_docker, info) {
        const st = info.State;
        if (st.Running || st.Status !== 'exited') return WAITING;
        return st.ExitCode === 0 ? READY : failed(`exited with code ${st.ExitCode}`);
      },
    };
  },

  /** ECS `COMPLETE`: exited, with any code. */
  forExit(): WaitStrategy {
    return {
      description: 'completed',
      async check(_docker, info) {
        return info.State.Running || info.State.Status !== 'exited' ? WAITING : READY;
      },
    };
  },

  /** The strategy for a compose `depends_on` condition. */
  forCondition(condition: DependencyCondition): WaitStrategy {
    if (condition === 'service_started') return Wait.forStarted();
    if (condition === 'service_completed_successfully') return Wait.forSuccessfulExit();
    return Wait.forHealthcheck();
  },
};

/** A container that will not become ready, and why (`exited with code 3`, `is unhealthy`, ...). */
export class NotReadyError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NotReadyError';
  }
}

export interface WaitOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Stop waiting (the run failed elsewhere or was interrupted). */
  signal?: AbortSignal;
}

/** First look right away, then at a growing interval: 100 ms, 150 ms, … up to 1 s. */
const nextDelay = (ms: number) => Math.min(1000, Math.round(ms * 1.5));

/** Wait until `strategy` says the container is ready; a NotReadyError says why it never will be. */
export async function waitUntilReady(
  docker: Docker,
  id: string,
  strategy: WaitStrategy,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (let delay = 100; ; delay = nextDelay(delay)) {
    options.signal?.throwIfAborted();
    const info = await docker.getContainer(id).inspect();
    const look = await strategy.check(docker, info);
    if (look.state === 'ready') return;
    if (look.state === 'failed') throw new NotReadyError(look.reason);
    if (Date.now() > deadline) {
      throw new NotReadyError(
        `was not ${strategy.description} within ${Math.round(options.timeoutMs / 1000)} s`,
      );
    }
    await sleep(delay, options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * The rule of Fargate's (which `up` follows too) that a container's last log lines show it broke,
 * with the fix: a failure that says "permission denied" helps nobody who does not know the rule.
 */
export function fargateRuleBroken(logs: string): { rule: string; fix: string } | undefined {
  if (
    /(EACCES|permission denied)[\s\S]{0,200}\b(bind|listen)\b|\b(bind|listen)\b[\s\S]{0,200}(EACCES|permission denied)/i.test(
      logs,
    )
  )
    return {
      rule: 'Fargate rule: a process without CAP_NET_BIND_SERVICE (any non-root user) cannot listen on a port below 1024.',
      fix: 'listen on a port ≥ 1024 and publish it as "80:8080", or run as root and acknowledge root-user',
    };
  if (/read-only file system|EROFS/i.test(logs))
    return {
      rule: 'Fargate rule: the root filesystem is read-only; only /tmp, tmpfs and volume paths are writable.',
      fix: 'write under /tmp or a declared volume, or add the path as `tmpfs:` (a task volume in the cloud)',
    };
  if (/operation not permitted|EPERM/i.test(logs))
    return {
      rule: 'Fargate rule: the container keeps no Linux capability beyond what its task definition keeps (cap_add can add only SYS_PTRACE).',
      fix: 'do not change owners, users or kernel settings at run time; set them in the image (Dockerfile USER, chown at build)',
    };
  if (/permission denied|EACCES/i.test(logs))
    return {
      rule: "Fargate rule: task volumes start empty, owned by root, mode 0755; only what the init container hands over is the app's.",
      fix: 'run as a numeric `user: "uid:gid"` so shipshape can hand its volumes to it, or create the directory in the image',
    };
  return undefined;
}

export interface NotReadyReport {
  /** Who did not become ready, e.g. `service "api" (replica 1)`. */
  subject: string;
  /** Container name, shown above its log lines. */
  container?: string;
  location?: SourceLocation;
  hint?: string;
}

/** The error people see: who, why, and the container's last log lines. */
export async function notReadyError(
  docker: Docker,
  id: string,
  reason: string,
  report: NotReadyReport,
): Promise<ShipshapeError> {
  const logs = await lastLogLines(docker, id);
  const rule = fargateRuleBroken(logs);
  return new ShipshapeError(
    `${report.subject} ${reason}` +
      (logs ? `\n--- last log lines${report.container ? ` of ${report.container}` : ''} ---\n${logs}` : '') +
      (rule ? `\n${rule.rule}` : ''),
    {
      exitCode: ExitCode.failure,
      location: report.location,
      hint: rule ? `${rule.fix}${report.hint ? `; ${report.hint}` : ''}` : report.hint,
    },
  );
}
