import type { Colors } from 'picocolors/types.js';

/**
 * Live progress of CloudFormation stack operations, folded from the toolkit's stack activity
 * messages (CDK_TOOLKIT_I5502). `StackBoard` is pure (unit-tested): it keeps one row per resource
 * and renders either the lines a terminal display redraws, or one plain line per event for logs
 * and pipes.
 */

/** What shipshape reads of a CloudFormation stack event (the SDK's StackEvent has more). */
export interface ActivityEvent {
  StackName?: string;
  LogicalResourceId?: string;
  ResourceType?: string;
  ResourceStatus?: string;
  ResourceStatusReason?: string;
  Timestamp?: Date;
}

export interface Activity {
  event: ActivityEvent;
  /** Construct path from the assembly metadata, when known. */
  constructPath?: string;
  progress?: { completed?: number; total?: number };
}

export interface ResourceRow {
  stack: string;
  logicalId: string;
  /** The construct path without the stack prefix and `/Resource`, else the logical id. */
  resource: string;
  type: string;
  status: string;
  reason?: string;
  updated: number;
}

export type StatusKind = 'done' | 'failed' | 'active' | 'other';

/** How a CloudFormation status reads: finished well, failed or rolling back, in progress. */
export function statusKind(status: string): StatusKind {
  if (/FAILED|ROLLBACK/.test(status)) return 'failed';
  if (/IN_PROGRESS/.test(status)) return 'active';
  if (/COMPLETE|SKIPPED/.test(status)) return 'done';
  return 'other';
}

/** `web-api-dev/App/web/Service/Service/Resource` → `App/web/Service/Service`. */
export function friendlyResource(constructPath: string | undefined, logicalId: string): string {
  if (!constructPath) return logicalId;
  return constructPath.replace(/^[^/]+\//, '').replace(/\/(Resource|Default)$/, '') || logicalId;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export class StackBoard {
  private readonly rows = new Map<string, ResourceRow>();
  private readonly progress = new Map<string, { completed?: number; total?: number }>();

  /** Fold one activity in; returns the row it changed. */
  add(activity: Activity): ResourceRow {
    const e = activity.event;
    const stack = e.StackName ?? '?';
    const logicalId = e.LogicalResourceId ?? stack;
    const row: ResourceRow = {
      stack,
      logicalId,
      resource:
        e.ResourceType === 'AWS::CloudFormation::Stack'
          ? stack
          : friendlyResource(activity.constructPath, logicalId),
      type: e.ResourceType ?? '',
      status: e.ResourceStatus ?? '',
      reason: e.ResourceStatusReason || undefined,
      updated: e.Timestamp ? new Date(e.Timestamp).getTime() : Date.now(),
    };
    this.rows.set(`${stack}\0${logicalId}`, row);
    if (activity.progress) this.progress.set(stack, activity.progress);
    return row;
  }

  all(): ResourceRow[] {
    return [...this.rows.values()];
  }

  /** Rows that failed (first failures first: the later ones are usually "cancelled"). */
  failures(): ResourceRow[] {
    return this.all()
      .filter((r) => statusKind(r.status) === 'failed' && r.reason && r.type !== 'AWS::CloudFormation::Stack')
      .sort((a, b) => a.updated - b.updated);
  }

  /**
   * The terminal display: a header per stack (resources done / total), every resource still in
   * progress or failed, and the most recently finished ones up to `height` lines.
   */
  render(c: Colors, height = 20, width = 120): string[] {
    const lines: string[] = [];
    const stacks = [...new Set(this.all().map((r) => r.stack))];
    for (const stack of stacks) {
      const p = this.progress.get(stack);
      const rows = this.all().filter((r) => r.stack === stack && r.type !== 'AWS::CloudFormation::Stack');
      const stackRow = this.rows.get(`${stack}\0${stack}`);
      const count = p?.total
        ? `${p.completed ?? 0}/${p.total}`
        : `${rows.filter((r) => statusKind(r.status) === 'done').length}`;
      lines.push(`${c.bold(stack)}  ${count} resources  ${stackRow ? colour(c, stackRow.status) : ''}`);
      const open = rows.filter((r) => statusKind(r.status) !== 'done');
      const done = rows.filter((r) => statusKind(r.status) === 'done').sort((a, b) => b.updated - a.updated);
      const shown = [...open, ...done].slice(0, Math.max(height - lines.length, 3));
      for (const r of shown.sort((a, b) => a.updated - b.updated)) lines.push(clip(rowLine(c, r), width));
    }
    return lines;
  }
}

function colour(c: Colors, status: string): string {
  const kind = statusKind(status);
  return kind === 'done'
    ? c.green(status)
    : kind === 'failed'
      ? c.red(status)
      : kind === 'active'
        ? c.yellow(status)
        : status;
}

function rowLine(c: Colors, r: ResourceRow): string {
  const reason = r.reason && statusKind(r.status) !== 'done' ? `  ${c.dim(r.reason)}` : '';
  return `  ${colour(c, r.status.padEnd(18))} ${r.resource} ${c.dim(`(${r.type})`)}${reason}`;
}

const ANSI = new RegExp(String.raw`\u001b\[[0-9;]*m`, 'g');
function clip(line: string, width: number): string {
  return line.replace(ANSI, '').length <= width ? line : `${line.replace(ANSI, '').slice(0, width - 1)}…`;
}

/** One plain line per event, for logs and pipes: `12:00:01 web-api-dev CREATE_COMPLETE AWS::ECS::Cluster App/Cluster/Cluster`. */
export function plainLine(r: ResourceRow): string {
  return [clock(r.updated), r.stack, r.status, r.type, r.resource, r.reason ?? ''].join(' ').trimEnd();
}
