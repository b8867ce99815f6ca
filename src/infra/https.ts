import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { HostedZoneRef } from './profile.js';

export interface DnsCertificateProps {
  /** The name the app is reached at, e.g. `app.example.com`. */
  readonly domain: string;
  /** The Route 53 hosted zone holding `domain` (validation records are written there). */
  readonly hostedZone: HostedZoneRef;
}

/**
 * An ACM certificate for the app's domain, validated through DNS records CloudFormation writes in
 * the hosted zone (so the deploy needs no manual step), and renewed by ACM.
 */
export class DnsCertificate extends Construct {
  readonly certificate: acm.Certificate;
  readonly zone: route53.IHostedZone;

  constructor(scope: Construct, id: string, props: DnsCertificateProps) {
    super(scope, id);
    this.zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: props.hostedZone.id,
      zoneName: props.hostedZone.name,
    });
    this.certificate = new acm.Certificate(this, 'Certificate', {
      domainName: props.domain,
      validation: acm.CertificateValidation.fromDns(this.zone),
    });
  }
}

export interface DomainAliasProps {
  readonly domain: string;
  readonly hostedZone: HostedZoneRef;
  readonly loadBalancer: elbv2.ILoadBalancerV2;
}

/** The app's domain as an alias (A) record on the load balancer. */
export class DomainAlias extends Construct {
  constructor(scope: Construct, id: string, props: DomainAliasProps) {
    super(scope, id);
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: props.hostedZone.id,
      zoneName: props.hostedZone.name,
    });
    new route53.ARecord(this, 'Alias', {
      zone,
      recordName: props.domain,
      target: route53.RecordTarget.fromAlias(
        new targets.LoadBalancerTarget(props.loadBalancer as elbv2.ApplicationLoadBalancer),
      ),
    });
  }
}
