import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { InterruptedError } from '../support/cleanup.js';
import { removeByLabel, type RemovedCounts } from './client.js';

/**
 * What one run (an `up`, a `slim`) creates on the engine, so that it can be removed exactly and
 * completely — also on Ctrl-C, which arrives while the run is still going.
 *
 * Every object the run creates carries the run's label, and every create call goes through
 * `create()`. `undo()` first stops new creates, then lets those already sent to the engine land,
 * and only then removes everything with the label. Removing by label alone was racy: a network
 * whose create request was in flight when the sweep listed the networks appeared after it, and
 * the run, still going, went on creating the next ones.
 */
export class RunScope {
  /** Put these on everything the run creates. */
  readonly labels: Record<string, string>;
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly docker: Docker,
    /** The run label's key, e.g. `io.shipshape.run`. */
    label: string,
    readonly id: string = randomBytes(6).toString('hex'),
  ) {
    this.labels = { [label]: id };
  }

  /** Send one create call to the engine, unless the run is being undone. */
  async create<T>(call: () => Promise<T>): Promise<T> {
    if (this.closed) throw new InterruptedError('a signal');
    const pending = call();
    this.inflight.add(pending);
    try {
      return await pending;
    } finally {
      this.inflight.delete(pending);
    }
  }

  /** Whether `undo` has begun: the run should stop. */
  get undoing(): boolean {
    return this.closed;
  }

  /**
   * What a run should throw for `error`: once `undo` has begun, whatever failed (a container
   * removed under a wait, a create refused) failed because of the interrupt, and says so.
   */
  failure(error: unknown): unknown {
    return this.closed && !(error instanceof InterruptedError) ? new InterruptedError('a signal') : error;
  }

  /** Stop new creates, wait for those in flight, remove everything carrying the run's label. */
  async undo(options: { volumes?: boolean } = {}): Promise<RemovedCounts> {
    this.closed = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    return removeByLabel(this.labels, { docker: this.docker, volumes: options.volumes });
  }
}
