import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { AppModel, NatStrategy } from '../model/types.js';
import { cloudContainers } from '../model/intent/placement.js';

/**
 * Deployment profiles: what an environment's infrastructure must be. `dev` stays cheap (one NAT
 * gateway, one task per service, HTTP allowed, resources removable); `prod` is what a reviewer
 * signs: HTTPS only, at least two tasks per public entry spread over the two AZs, a NAT gateway per
 * AZ (or VPC endpoints only), AWS WAF with AWS managed rules on the load balancer, ECS deployment
 * alarms that roll back, KMS-encrypted log groups and deletion protection. Every rule is decided
 * here, once; the constructs (src/infra/production.ts and friends) only apply the decisions.
 */
export type ProfileKind = 'dev' | 'prod';

/** How the public load balancer gets its certificate. */
export type HttpsSource =
  | { kind: 'certificate-arn'; certificateArn: string; domain?: string; hostedZone?: HostedZoneRef }
  | { kind: 'dns-validated'; domain: string; hostedZone: HostedZoneRef };

export interface HostedZoneRef {
  readonly id: string;
  readonly name: string;
}

export interface DeployProfile {
  /** Environment name (`--env`): part of every stack name. */
  readonly environment: string;
  readonly kind: ProfileKind;
  /** Why this kind: one line, printed by deploy and diff. */
  readonly reason: string;
  readonly nat: NatStrategy;
  /** The existing VPC the app goes into (`aws.vpc`): its NAT is its own, `nat` does not apply. */
  readonly existingVpc?: string;
  /** HTTPS on the load balancer; undefined: HTTP only (dev without a certificate). */
  readonly https?: HttpsSource;
  /** Fewest tasks a service with a public entry runs (spread over the AZs by ECS). */
  readonly minEntryTasks: number;
  /** AWS WAF web ACL with AWS managed rule groups on the ALB. */
  readonly waf: boolean;
  /** CloudWatch alarms on each service that fail and roll back an ECS deployment. */
  readonly deploymentAlarms: boolean;
  /** Encrypt every log group with a customer managed KMS key (with rotation). */
  readonly kmsLogs: boolean;
  /** Deletion protection on the load balancers and databases; retained data on destroy. */
  readonly deletionProtection: boolean;
}

/** Environment names that mean production when `x-shipshape.environments.<env>.profile` is not set. */
const PROD_NAME = /^prod(uction)?(-|$)/i;

/** The profile kind of the app's selected environment, with the reason. */
export function profileKind(app: AppModel): { kind: ProfileKind; reason: string } {
  const env = app.x.environment;
  if (app.x.profile) {
    return { kind: app.x.profile, reason: `x-shipshape.environments.${env}.profile is ${app.x.profile}` };
  }
  if (PROD_NAME.test(env)) return { kind: 'prod', reason: `the environment is named "${env}"` };
  return { kind: 'dev', reason: `"${env}" is not a production name (prod, production, prod-*)` };
}

function profileError(app: AppModel, message: string, hint: string): ShipshapeError {
  const env = app.x.environment;
  return new ShipshapeError(`environment "${env}" uses the prod profile, which ${message}`, {
    exitCode: ExitCode.usage,
    location: app.x.location,
    path: `x-shipshape.environments.${env}.aws`,
    hint,
  });
}

function httpsSource(app: AppModel): HttpsSource | undefined {
  const { certificateArn, domain, hostedZone } = app.x.aws;
  if (certificateArn) return { kind: 'certificate-arn', certificateArn, domain, hostedZone };
  if (domain && hostedZone) return { kind: 'dns-validated', domain, hostedZone };
  return undefined;
}

/** Whether `domain` lies in the zone called `zone` (both without a trailing dot). */
export function inZone(domain: string, zone: string): boolean {
  const z = zone.replace(/\.$/, '').toLowerCase();
  const d = domain.replace(/\.$/, '').toLowerCase();
  return d === z || d.endsWith(`.${z}`);
}

function checkDomain(app: AppModel): void {
  const { domain, hostedZone } = app.x.aws;
  const path = `x-shipshape.aws`;
  if (domain && !hostedZone && !app.x.aws.certificateArn) {
    throw new ShipshapeError(`aws.domain ${domain} needs the Route 53 hosted zone it is in`, {
      location: app.x.location,
      path,
      hint: 'add aws.hosted-zone: { id: Z…, name: example.com } (or give aws.certificate-arn)',
    });
  }
  if (hostedZone && !domain) {
    throw new ShipshapeError('aws.hosted-zone is set without aws.domain', {
      location: app.x.location,
      path,
      hint: 'add aws.domain: the name the app is reached at, e.g. app.example.com',
    });
  }
  if (domain && hostedZone && !inZone(domain, hostedZone.name)) {
    throw new ShipshapeError(`aws.domain ${domain} is not in hosted zone ${hostedZone.name}`, {
      location: app.x.location,
      path,
      hint: `use a name ending in .${hostedZone.name}, or the zone that holds ${domain}`,
    });
  }
}

/**
 * The profile of the app's selected environment. Throws (exit 2, pointing at x-shipshape) when the
 * prod profile cannot be met: no way to HTTPS, or a single NAT gateway asked for explicitly.
 */
export function resolveProfile(app: AppModel): DeployProfile {
  const { kind, reason } = profileKind(app);
  checkDomain(app);
  const https = httpsSource(app);
  const base = {
    environment: app.x.environment,
    kind,
    reason,
    https,
    ...(app.x.aws.vpc ? { existingVpc: app.x.aws.vpc.id } : {}),
  };
  if (kind === 'dev') {
    return {
      ...base,
      nat: app.x.aws.nat ?? 'single',
      minEntryTasks: 1,
      waf: false,
      deploymentAlarms: false,
      kmsLogs: false,
      deletionProtection: false,
    };
  }
  const hasEntries = cloudContainers(app).some((s) => s.intent.entryPorts.length > 0);
  if (hasEntries && !https) {
    throw profileError(
      app,
      'requires HTTPS, and no certificate is configured',
      'set aws.domain and aws.hosted-zone (a DNS-validated ACM certificate is created), or aws.certificate-arn',
    );
  }
  if (app.x.aws.nat === 'single') {
    throw profileError(
      app,
      'needs a NAT gateway per availability zone (one NAT is a single point of failure)',
      'set aws.nat: per-az, or none (tasks reach AWS through VPC endpoints), or remove it (default per-az)',
    );
  }
  return {
    ...base,
    nat: app.x.aws.nat ?? 'per-az',
    minEntryTasks: 2,
    waf: true,
    deploymentAlarms: true,
    kmsLogs: true,
    deletionProtection: true,
  };
}

/** One line per rule, for deploy's and diff's summary. */
export function describeProfile(p: DeployProfile): string[] {
  const https =
    p.https?.kind === 'dns-validated'
      ? `HTTPS with a DNS-validated certificate for ${p.https.domain}`
      : p.https
        ? `HTTPS with certificate ${p.https.certificateArn}`
        : 'HTTP only (no certificate)';
  const lines = [
    `profile ${p.kind} (${p.reason})`,
    https,
    p.existingVpc
      ? `network: the existing VPC ${p.existingVpc} (its own NAT and endpoints)`
      : `NAT: ${p.nat === 'none' ? 'none, VPC endpoints only' : p.nat}`,
    `at least ${p.minEntryTasks} task(s) per public entry`,
  ];
  if (p.waf) lines.push('AWS WAF with AWS managed rule groups on the load balancer');
  if (p.deploymentAlarms) lines.push('ECS deployment alarms with automatic rollback');
  if (p.kmsLogs) lines.push('log groups encrypted with a KMS key');
  if (p.deletionProtection) lines.push('deletion protection on load balancers and databases');
  return lines;
}
