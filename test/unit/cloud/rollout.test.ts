import { describe, expect, it } from 'vitest';
import { rolloutOf, shortTaskDefinition, type EcsDeployment } from '../../../src/cloud/rollout.js';

const TD = 'arn:aws:ecs:us-east-1:123456789012:task-definition/SharedAppwebServiceTask';
const t = (s: string) => new Date(`2026-12-02T12:${s}Z`);
const deployment = (over: Partial<EcsDeployment>): EcsDeployment => ({
  id: 'ecs-svc/1',
  status: 'PRIMARY',
  taskDefinition: `${TD}:2`,
  rolloutState: 'COMPLETED',
  desiredCount: 2,
  runningCount: 2,
  pendingCount: 0,
  failedTasks: 0,
  createdAt: t('00:00'),
  ...over,
});

describe('rollout of an ECS service, from its deployments and events', () => {
  it('one completed deployment: completed, nothing rolled back', () => {
    const r = rolloutOf(
      [deployment({})],
      [{ message: '(service web) has reached a steady state.', createdAt: t('01:00') }],
    );
    expect(r.state).toBe('completed');
    expect(r.rolledBack).toBeUndefined();
    expect(r.deployments[0]).toMatchObject({
      taskDefinition: 'SharedAppwebServiceTask:2',
      running: 2,
      desired: 2,
    });
  });

  it('a new deployment replacing the old one: in progress', () => {
    const r = rolloutOf(
      [
        deployment({
          id: 'ecs-svc/2',
          taskDefinition: `${TD}:3`,
          rolloutState: 'IN_PROGRESS',
          runningCount: 1,
          pendingCount: 1,
        }),
        deployment({ status: 'ACTIVE' }),
      ],
      [],
    );
    expect(r.state).toBe('in-progress');
    expect(r.deployments.map((d) => `${d.status} ${d.taskDefinition} ${d.rollout}`)).toEqual([
      'PRIMARY SharedAppwebServiceTask:3 IN_PROGRESS',
      'ACTIVE SharedAppwebServiceTask:2 COMPLETED',
    ]);
  });

  it('the circuit breaker rolling back: the failed deployment and its reason', () => {
    const r = rolloutOf(
      [
        deployment({ id: 'ecs-svc/3', createdAt: t('05:00'), rolloutState: 'IN_PROGRESS' }),
        deployment({
          id: 'ecs-svc/2',
          status: 'ACTIVE',
          taskDefinition: `${TD}:3`,
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
          failedTasks: 4,
          createdAt: t('02:00'),
        }),
      ],
      [
        { message: '(service web) rolling back to deployment ecs-svc/1.', createdAt: t('05:00') },
        {
          message: '(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.',
          createdAt: t('05:00'),
        },
      ],
    );
    expect(r.state).toBe('rolled-back');
    expect(r.rolledBack?.reason).toBe('ECS deployment circuit breaker: tasks failed to start.');
  });

  it('after the rollback finished, only the events tell why; an older rollback does not count', () => {
    const events = [
      { message: '(service web) has reached a steady state.', createdAt: t('09:00') },
      {
        message: '(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.',
        createdAt: t('05:00'),
      },
      { message: '(service web) rolling back to deployment ecs-svc/1.', createdAt: t('05:00') },
    ];
    const rolledBack = rolloutOf([deployment({ id: 'ecs-svc/3', createdAt: t('05:01') })], events);
    expect(rolledBack.state).toBe('rolled-back');
    expect(rolledBack.rolledBack).toEqual({
      reason: '(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.',
      at: t('05:00').toISOString(),
    });
    // A later successful deployment: the old failure is history.
    const later = rolloutOf([deployment({ id: 'ecs-svc/4', createdAt: t('30:00') })], events);
    expect(later.state).toBe('completed');
    expect(later.rolledBack).toBeUndefined();
  });

  it('a failed rollout that was not rolled back is failed', () => {
    const r = rolloutOf(
      [
        deployment({
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        }),
      ],
      [],
    );
    expect(r.state).toBe('failed');
  });

  it('task definition ARNs read as family:revision', () => {
    expect(shortTaskDefinition(`${TD}:7`)).toBe('SharedAppwebServiceTask:7');
    expect(shortTaskDefinition(undefined)).toBe('');
  });
});
