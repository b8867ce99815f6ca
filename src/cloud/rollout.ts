/**
 * Pure: what an ECS service's deployments and events say about its rollout — in progress,
 * completed, failed, or rolled back and why. ECS keeps a failed deployment in the service's
 * deployment list only while it rolls back; afterwards only its events tell (`(deployment x)
 * deployment failed: tasks failed to start.`, `rolling back to deployment y.`), so both are read.
 */

export interface DeploymentView {
  id: string;
  /** PRIMARY (the newest), ACTIVE (being replaced), INACTIVE. */
  status: string;
  /** `family:revision`. */
  taskDefinition: string;
  /** IN_PROGRESS, COMPLETED, FAILED. */
  rollout?: string;
  reason?: string;
  desired: number;
  running: number;
  pending: number;
  failedTasks: number;
  createdAt?: string;
}

export type RolloutState = 'completed' | 'in-progress' | 'failed' | 'rolled-back';

export interface RolloutView {
  state: RolloutState;
  deployments: DeploymentView[];
  /** Set when the current deployment replaced a failed one. */
  rolledBack?: { reason: string; at?: string };
}

export interface EcsDeployment {
  id?: string;
  status?: string;
  taskDefinition?: string;
  rolloutState?: string;
  rolloutStateReason?: string;
  desiredCount?: number;
  runningCount?: number;
  pendingCount?: number;
  failedTasks?: number;
  createdAt?: Date;
}

export interface EcsEvent {
  message?: string;
  createdAt?: Date;
}

/** How long before the current deployment's start a failure event still explains it. */
const EVENT_SLACK_MS = 60_000;
const FAILED_EVENT = /deployment failed|circuit breaker|rolling back|rolled back/i;

/** `arn:…:task-definition/family:3` → `family:3`. */
export function shortTaskDefinition(arn: string | undefined): string {
  return (arn ?? '').split('/').pop() ?? '';
}

export function deploymentView(d: EcsDeployment): DeploymentView {
  return {
    id: d.id ?? '',
    status: d.status ?? '',
    taskDefinition: shortTaskDefinition(d.taskDefinition),
    rollout: d.rolloutState,
    reason: d.rolloutStateReason,
    desired: d.desiredCount ?? 0,
    running: d.runningCount ?? 0,
    pending: d.pendingCount ?? 0,
    failedTasks: d.failedTasks ?? 0,
    createdAt: d.createdAt?.toISOString(),
  };
}

/** The rollout of a service from its deployments and events (ECS lists events newest first). */
export function rolloutOf(deployments: readonly EcsDeployment[], events: readonly EcsEvent[]): RolloutView {
  const views = deployments.map(deploymentView);
  const primary = deployments.find((d) => d.status === 'PRIMARY') ?? deployments[0];
  const failed = deployments.find((d) => d.rolloutState === 'FAILED' && d !== primary);
  const since = (primary?.createdAt?.getTime() ?? 0) - EVENT_SLACK_MS;
  const recent = events.filter((e) => (e.createdAt?.getTime() ?? 0) >= since);
  const failureEvent =
    recent.find((e) => /deployment failed|circuit breaker/i.test(e.message ?? '')) ??
    recent.find((e) => FAILED_EVENT.test(e.message ?? ''));
  const rolledBack =
    failed || failureEvent
      ? {
          reason: failed?.rolloutStateReason ?? failureEvent?.message ?? 'the deployment failed',
          at: failureEvent?.createdAt?.toISOString() ?? failed?.createdAt?.toISOString(),
        }
      : undefined;
  let state: RolloutState = 'completed';
  if (primary?.rolloutState === 'FAILED') state = 'failed';
  else if (rolledBack) state = 'rolled-back';
  else if (deployments.length > 1 || primary?.rolloutState === 'IN_PROGRESS') state = 'in-progress';
  return { state, deployments: views, ...(rolledBack && state !== 'failed' ? { rolledBack } : {}) };
}
