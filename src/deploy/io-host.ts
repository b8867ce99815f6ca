import type { IIoHost, IoMessage, IoRequest } from '@aws-cdk/toolkit-lib';
import { errColors } from '../support/output.js';
import { plainLine, StackBoard, type Activity } from './progress.js';

/**
 * The toolkit's IoHost: stack activity becomes a live terminal display (redrawn in place) on a
 * TTY and plain lines otherwise; warnings and errors are printed; the toolkit's own chatter is
 * shown only with `verbose`. Questions get their default answers: shipshape asks its own
 * (bootstrap, security changes) before calling the toolkit.
 */
export interface DeployIoHostOptions {
  /** Redraw in place (stderr is a TTY). Default: `process.stderr.isTTY`. */
  tty?: boolean;
  /** Print every toolkit message. Default false. */
  verbose?: boolean;
  /** Where lines go. Default stderr. */
  write?: (text: string) => void;
}

interface LogUpdate {
  (...text: string[]): void;
  done(): void;
  clear(): void;
}

export class DeployIoHost implements IIoHost {
  readonly board = new StackBoard();
  readonly errors: string[] = [];
  private readonly tty: boolean;
  private readonly verbose: boolean;
  private readonly write: (text: string) => void;
  private live?: LogUpdate;
  private lastDraw = 0;

  constructor(options: DeployIoHostOptions = {}) {
    this.tty = options.tty ?? Boolean(process.stderr.isTTY);
    this.verbose = options.verbose ?? false;
    this.write = options.write ?? ((t) => process.stderr.write(t));
  }

  /** Load the terminal renderer (log-update) only when there is a terminal to draw on. */
  async start(): Promise<void> {
    if (!this.tty || this.live) return;
    const { createLogUpdate } = await import('log-update');
    this.live = createLogUpdate(process.stderr, { showCursor: true }) as LogUpdate;
  }

  /** Leave the last frame on screen. */
  stop(): void {
    if (this.live) {
      this.draw(true);
      this.live.done();
    }
  }

  async notify(msg: IoMessage<unknown>): Promise<void> {
    if (msg.code === 'CDK_TOOLKIT_I5502') return this.activity(msg.data as StackActivityData);
    if (msg.code === 'CDK_TOOLKIT_I5503') return this.draw(true);
    if (msg.level === 'error') {
      this.errors.push(msg.message);
      this.line(errColors.red(msg.message));
      return;
    }
    if (msg.level === 'warn' && !/default execution policy|Trusted accounts/.test(msg.message)) {
      this.line(errColors.yellow(msg.message));
      return;
    }
    if (this.verbose && msg.level !== 'trace' && msg.level !== 'debug') this.line(errColors.dim(msg.message));
  }

  async requestResponse<T>(msg: IoRequest<unknown, T>): Promise<T> {
    // Deploy confirmation: shipshape showed the security changes and asked before the toolkit runs.
    if (msg.code === 'CDK_TOOLKIT_I5060') return true as T;
    return msg.defaultResponse;
  }

  /** A line above the live display (or just a line). */
  line(text: string): void {
    if (this.live) this.live.clear();
    this.write(`${text}\n`);
    if (this.live) this.draw(true);
  }

  private activity(data: StackActivityData): void {
    const activity: Activity = {
      event: data.event,
      constructPath: data.metadata?.constructPath,
      progress: data.progress,
    };
    const row = this.board.add(activity);
    if (this.live) this.draw(false);
    else this.write(`${plainLine(row)}\n`);
  }

  private draw(force: boolean): void {
    if (!this.live) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return; // at most 10 frames a second
    this.lastDraw = now;
    this.live(
      this.board.render(errColors, (process.stderr.rows ?? 24) - 2, process.stderr.columns ?? 120).join('\n'),
    );
  }
}

interface StackActivityData {
  event: Activity['event'];
  metadata?: { constructPath?: string };
  progress?: Activity['progress'];
}
