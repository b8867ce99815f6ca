import type { SourceLocation } from '../model/types.js';

/**
 * What `shipshape check` reports: findings of stable rules (`SS-COMPOSE-…`, `SS-DOCKERFILE-…`,
 * `SS-IMAGE-…`, `SS-CLOUD-…`), each with a severity, a message, the fix and a location.
 */
export type CheckSeverity = 'low' | 'medium' | 'high';
export const SEVERITIES: readonly CheckSeverity[] = ['low', 'medium', 'high'];

export type RuleFamily = 'compose' | 'dockerfile' | 'image' | 'cloud';
export const FAMILIES: readonly RuleFamily[] = ['compose', 'dockerfile', 'image', 'cloud'];

export interface RuleDefinition {
  /** Stable id, e.g. `SS-COMPOSE-001`. */
  id: string;
  family: RuleFamily;
  /** Short kebab-case name, e.g. `privileged`. */
  name: string;
  /** Default severity (a finding may raise or lower it, e.g. SYS_ADMIN vs NET_BIND_SERVICE). */
  severity: CheckSeverity;
  /** One line: what the rule finds. */
  title: string;
  /** Why it matters. */
  why: string;
  /** How to fix it, or how to acknowledge it. */
  fix: string;
}

export interface Finding {
  ruleId: string;
  severity: CheckSeverity;
  /** The service it concerns; undefined for app-wide (cloud shared) findings. */
  service?: string;
  message: string;
  /** The exact change that fixes it. */
  fix: string;
  /** Where to fix it: compose file, Dockerfile or generated template; 1-based line and column. */
  location: SourceLocation;
  /** Compose document path, Dockerfile instruction or template logical id. */
  path?: string;
  /** What the finding is about inside an image (`/usr/bin/passwd`), when it is about an image. */
  image?: string;
  /** Every path or item the finding covers, when it covers several (the message lists the first few). */
  details?: string[];
  /** Accepted on purpose (x-shipshape.acknowledge, or a cdk-nag acknowledgement in code). */
  suppressed?: { reason: string };
}

export function severityRank(s: CheckSeverity): number {
  return SEVERITIES.indexOf(s);
}

/** Findings that fail the gate at `failOn`: open (not suppressed) and at least that severe. */
export function failingFindings(findings: readonly Finding[], failOn: CheckSeverity): Finding[] {
  return findings.filter((f) => !f.suppressed && severityRank(f.severity) >= severityRank(failOn));
}
