import { describe, expect, it } from 'vitest';
import { RUN_EXIT, outcomeOf, runExitCode } from '../../../src/aws/one-off-task.js';
import type { TaskView } from '../../../src/aws/ecs.js';

const task = (containers: TaskView['containers']): TaskView => ({
  taskArn: 'arn:aws:ecs:us-east-1:1:task/c/abc',
  taskId: 'abc',
  lastStatus: 'STOPPED',
  containers,
});

describe('shipshape run: exit codes', () => {
  it("exits with the command's own code when it ran, as docker compose run does", () => {
    expect(runExitCode({ outcome: 'exited', exitCode: 0 })).toBe(0);
    expect(runExitCode({ outcome: 'exited', exitCode: 3 })).toBe(3);
    expect(runExitCode({ outcome: 'exited', exitCode: 137 })).toBe(137);
  });

  it('125 when the task stopped without running the command, 124 on timeout, 130 on Ctrl-C, 0 detached', () => {
    expect(runExitCode({ outcome: 'not-started' })).toBe(125);
    expect(runExitCode({ outcome: 'exited' })).toBe(125);
    expect(runExitCode({ outcome: 'timed-out' })).toBe(124);
    expect(runExitCode({ outcome: 'interrupted' })).toBe(130);
    expect(runExitCode({ outcome: 'started' })).toBe(0);
    expect(RUN_EXIT).toEqual({ notStarted: 125, timedOut: 124, interrupted: 130 });
  });

  it("the task's outcome is its command container's exit code, not a helper's", () => {
    expect(
      outcomeOf(
        task([
          { name: 'secrets-init', exitCode: 0 },
          { name: 'api', exitCode: 2 },
        ]),
        'api',
      ),
    ).toEqual({ outcome: 'exited', exitCode: 2 });
    // CannotPullContainerError: no exit code for the container; the helper's 0 does not count.
    expect(
      outcomeOf(
        task([
          { name: 'secrets-init', exitCode: 0 },
          { name: 'api', reason: 'CannotPullContainerError: pull access denied' },
        ]),
        'api',
      ),
    ).toEqual({ outcome: 'not-started' });
  });
});
