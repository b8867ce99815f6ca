import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { IConstruct } from 'constructs';
import type { ComposeApp } from './compose-app.js';
import { ecsName } from './service.js';
import { DeploymentAlarms } from './deployment-alarms.js';
import { DnsCertificate, DomainAlias } from './https.js';
import { LogEncryptionKey } from './log-encryption.js';
import type { DeployProfile } from './profile.js';
import { LoadBalancerFirewall } from './waf.js';

/**
 * The certificate the public load balancer serves: the configured ARN, or a DNS-validated one
 * created for the profile's domain; undefined when the profile has no HTTPS (dev over HTTP).
 */
export function httpsCertificateArn(app: ComposeApp, profile: DeployProfile): string | undefined {
  const https = profile.https;
  if (!https) return undefined;
  if (https.kind === 'certificate-arn') return https.certificateArn;
  return new DnsCertificate(app, 'Certificate', { domain: https.domain, hostedZone: https.hostedZone })
    .certificate.certificateArn;
}

/**
 * Apply the profile's rules to a built ComposeApp (called once, at the end of its constructor):
 * domain alias, minimum task counts, deployment alarms, WAF, KMS-encrypted logs and deletion
 * protection. Dev profiles change nothing here beyond the alias.
 */
export function applyProfile(app: ComposeApp, profile: DeployProfile): void {
  const https = profile.https;
  if (https?.domain && https.hostedZone && app.loadBalancer) {
    new DomainAlias(app, 'Domain', {
      domain: https.domain,
      hostedZone: https.hostedZone,
      loadBalancer: app.loadBalancer.loadBalancer,
    });
  }
  raiseEntryTasks(app, profile.minEntryTasks);
  if (profile.deploymentAlarms) {
    for (const [name, service] of app.services) {
      if (!service.fargateService) continue; // a job: deploy waits for its exit code instead
      new DeploymentAlarms(service, 'DeploymentAlarms', {
        service: service.fargateService,
        serviceName: ecsName(name),
        targetGroup: app.targetGroups.get(name),
      });
    }
  }
  if (profile.waf && app.loadBalancer) {
    new LoadBalancerFirewall(app, 'Firewall', {
      loadBalancerArn: app.loadBalancer.loadBalancer.loadBalancerArn,
    });
  }
  if (profile.deletionProtection) {
    app.loadBalancer?.loadBalancer.setAttribute('deletion_protection.enabled', 'true');
    app.networkLoadBalancer?.loadBalancer.setAttribute('deletion_protection.enabled', 'true');
  }
  if (profile.kmsLogs) {
    // The services and datastores may sit in stacks of their own (`--split`): walk them too.
    const roots: IConstruct[] = [app, ...app.services.values(), ...app.datastores.values()];
    new LogEncryptionKey(app, 'LogEncryption').encryptLogGroups(roots);
  }
}

/** Services with a public entry run at least `min` tasks (and scale no lower). */
function raiseEntryTasks(app: ComposeApp, min: number): void {
  if (min <= 1) return;
  for (const model of app.app.services) {
    const service = app.services.get(model.name);
    if (!service?.fargateService || model.intent.entryPorts.length === 0) continue;
    const cfn = service.fargateService.node.defaultChild as ecs.CfnService;
    cfn.desiredCount = Math.max(Number(cfn.desiredCount ?? 1), min);
    for (const c of service.node.findAll()) {
      if (c instanceof appscaling.CfnScalableTarget) {
        c.minCapacity = Math.max(c.minCapacity, min);
        c.maxCapacity = Math.max(c.maxCapacity, min);
      }
    }
  }
}
