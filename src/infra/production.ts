import { AspectPriority, Aspects, type IAspect } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';
import type { ComposeService } from './service.js';
import { ecsName } from '../runtime/task.js';
import { DeploymentAlarms } from './deployment-alarms.js';
import { DnsCertificate, DomainAlias } from './https.js';
import { LogEncryptionKey } from './log-encryption.js';
import type { DeployProfile } from './profile.js';
import { LoadBalancerFirewall } from './waf.js';

/**
 * The certificate the public load balancer serves: the configured ARN, or a DNS-validated one
 * created for the profile's domain; undefined when the profile has no HTTPS (dev over HTTP).
 */
export function httpsCertificateArn(scope: Construct, profile: DeployProfile): string | undefined {
  const https = profile.https;
  if (!https) return undefined;
  if (https.kind === 'certificate-arn') return https.certificateArn;
  return new DnsCertificate(scope, 'Certificate', { domain: https.domain, hostedZone: https.hostedZone })
    .certificate.certificateArn;
}

/** The parts of a built app the profile's rules apply to (ComposeApp passes its own). */
export interface ProfileTargets {
  /** Where the profile's own constructs go (alias, firewall, log key). */
  readonly scope: Construct;
  readonly loadBalancer?: { readonly loadBalancer: elbv2.ApplicationLoadBalancer };
  readonly networkLoadBalancer?: { readonly loadBalancer: elbv2.NetworkLoadBalancer };
  /** The app's services by name. */
  readonly services: ReadonlyMap<string, ComposeService>;
  /** Services with a public entry. */
  readonly entryServices: readonly string[];
  readonly targetGroups: ReadonlyMap<string, elbv2.ApplicationTargetGroup>;
  /** Every construct that may hold log groups (services and datastores may be in stacks of their own). */
  readonly logRoots: readonly IConstruct[];
}

/**
 * Apply the profile's rules to a built app: what it adds (domain alias, deployment alarms, WAF, a
 * log key) as constructs, what it changes in what was built (minimum task counts, deletion
 * protection, encrypted log groups) as CDK Aspects, so they reach every resource of their kind
 * however it was made. Dev profiles change nothing here beyond the alias.
 */
export function applyProfile(t: ProfileTargets, profile: DeployProfile): void {
  const https = profile.https;
  if (https?.domain && https.hostedZone && t.loadBalancer) {
    new DomainAlias(t.scope, 'Domain', {
      domain: https.domain,
      hostedZone: https.hostedZone,
      loadBalancer: t.loadBalancer.loadBalancer,
    });
  }
  if (profile.minEntryTasks > 1)
    for (const name of t.entryServices) {
      const service = t.services.get(name);
      // Before any aspect that wraps the count (a job's gate), so the gate holds the raised count.
      if (service)
        Aspects.of(service).add(new AtLeastTasks(profile.minEntryTasks), {
          priority: AspectPriority.MUTATING,
        });
    }
  if (profile.deploymentAlarms) addDeploymentAlarms(t);
  if (profile.waf && t.loadBalancer) {
    new LoadBalancerFirewall(t.scope, 'Firewall', {
      loadBalancerArn: t.loadBalancer.loadBalancer.loadBalancerArn,
    });
  }
  if (profile.deletionProtection) {
    t.loadBalancer?.loadBalancer.setAttribute('deletion_protection.enabled', 'true');
    t.networkLoadBalancer?.loadBalancer.setAttribute('deletion_protection.enabled', 'true');
  }
  if (profile.kmsLogs) {
    const key = new LogEncryptionKey(t.scope, 'LogEncryption').key;
    const encrypt = new EncryptLogGroups(key.keyArn);
    for (const root of new Set([t.scope, ...t.logRoots]))
      Aspects.of(root).add(encrypt, { priority: AspectPriority.MUTATING });
  }
}

function addDeploymentAlarms(t: ProfileTargets): void {
  for (const [name, service] of t.services) {
    if (!service.fargateService) continue; // a job: deploy waits for its exit code instead
    new DeploymentAlarms(service, 'DeploymentAlarms', {
      service: service.fargateService,
      serviceName: ecsName(name),
      targetGroup: t.targetGroups.get(name),
    });
  }
}

/** A service runs at least `min` tasks, and its scaling goes no lower. */
export class AtLeastTasks implements IAspect {
  constructor(private readonly min: number) {}

  visit(node: IConstruct): void {
    if (node instanceof ecs.CfnService)
      node.desiredCount = Math.max(Number(node.desiredCount ?? 1), this.min);
    if (node instanceof appscaling.CfnScalableTarget) {
      node.minCapacity = Math.max(node.minCapacity, this.min);
      node.maxCapacity = Math.max(node.maxCapacity, this.min);
    }
  }
}

/** Every log group is encrypted with the key. */
export class EncryptLogGroups implements IAspect {
  constructor(private readonly keyArn: string) {}

  visit(node: IConstruct): void {
    if (node instanceof logs.CfnLogGroup) node.kmsKeyId = this.keyArn;
  }
}
