import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeCheckov } from './checkov.js';

const NOT_FOUND = elbv2.ListenerAction.fixedResponse(404, {
  contentType: 'text/plain',
  messageBody: 'not found',
});

export interface PublicLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  /**
   * ACM certificate ARN; when set, HTTPS on 443 and port 80 only redirects.
   * @default none (HTTP)
   */
  readonly certificateArn?: string;
  /**
   * Days to keep access logs.
   * @default 90
   */
  readonly accessLogDays?: number;
}

/**
 * The internet-facing Application Load Balancer in front of the public services. Its security
 * group admits 0.0.0.0/0 on 80 (and 443 with a certificate) and nothing else; egress is opened
 * only towards the public services' groups as targets are added. Access logs go to an encrypted,
 * TLS-only bucket.
 */
export class PublicLoadBalancer extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly securityGroup: ec2.SecurityGroup;
  /** The listener services attach to (HTTPS when a certificate is given, else HTTP). */
  readonly listener: elbv2.ApplicationListener;
  /** The port-80 listener: it serves HTTP, or with a certificate redirects to HTTPS. */
  readonly httpListener: elbv2.ApplicationListener;
  private routed = 0;
  /** The main listener's certificates, for further HTTPS listeners. */
  private certificates: elbv2.IListenerCertificate[] = [];

  constructor(scope: Construct, id: string, props: PublicLoadBalancerProps) {
    super(scope, id);
    const logs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, // ALB log delivery supports SSE-S3 only.
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogDays ?? 90) }],
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket only receives the load balancer access logs; logging access to the log bucket itself would need another bucket and so on.',
    });
    acknowledgeCheckov(
      logs,
      'CKV_AWS_18',
      'Receives only the load balancer access logs; logging access to it would need another log bucket, and so on.',
    );
    acknowledgeCheckov(
      logs,
      'CKV_AWS_21',
      'Access logs are written once by the load balancer and expire by lifecycle; versions would only keep expired logs.',
    );

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Public load balancer: HTTP/HTTPS from the internet, out only to public services',
      allowAllOutbound: false,
    });
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: true,
      securityGroup: this.securityGroup,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(logs);

    // Port 80 is the same listener (same logical id) with or without a certificate; adding one
    // changes its default action to a redirect. A redirect listener of its own would be created
    // while the old one still holds port 80 (DuplicateListener) when HTTPS is added to a running app.
    this.httpListener = this.loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: true,
      defaultAction: props.certificateArn
        ? elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true })
        : NOT_FOUND,
    });
    if (props.certificateArn) this.certificates = [elbv2.ListenerCertificate.fromArn(props.certificateArn)];
    this.listener = props.certificateArn
      ? this.loadBalancer.addListener('Https', {
          port: 443,
          protocol: elbv2.ApplicationProtocol.HTTPS,
          certificates: this.certificates,
          sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
          open: true,
          defaultAction: NOT_FOUND,
        })
      : this.httpListener;
    acknowledgeCheckov(
      this.securityGroup,
      'CKV_AWS_260',
      props.certificateArn
        ? 'Port 80 on the public load balancer only redirects to HTTPS on 443.'
        : 'Without a certificate (dev profile) the public load balancer serves HTTP on 80; prod requires HTTPS.',
    );
    Validations.of(this.securityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The public load balancer must accept 0.0.0.0/0 on its listener ports (80, and 443 with a certificate); it is the only group that does.',
    });
  }

  /**
   * Route to a public service through a target group and listener rule created in `scope` (the
   * service's own stack when stacks are split, so references only point from service to shared).
   * The catch-all service (decided by the model) gets `/*` at the lowest priority; the others match
   * the host header `<name>.*`. Requests nothing matches get a 404 from the listener's default.
   */
  addService(
    scope: Construct,
    name: string,
    target: elbv2.IApplicationLoadBalancerTarget,
    route: AlbRoute,
  ): elbv2.ApplicationTargetGroup {
    const targetGroup = this.targetGroup(scope, 'TargetGroup', target, route);
    this.routed++;
    new elbv2.ApplicationListenerRule(scope, 'ListenerRule', {
      listener: this.listener,
      priority: route.catchAll ? 50_000 : this.routed,
      conditions: route.catchAll
        ? [elbv2.ListenerCondition.pathPatterns(['/*'])]
        : [elbv2.ListenerCondition.hostHeaders([`${name}.*`])],
      targetGroups: [targetGroup],
    });
    return targetGroup;
  }

  /** The target group of a service's container port: its tasks by IP, health-checked on its path. */
  private targetGroup(
    scope: Construct,
    id: string,
    target: elbv2.IApplicationLoadBalancerTarget,
    route: AlbRoute,
  ): elbv2.ApplicationTargetGroup {
    return new elbv2.ApplicationTargetGroup(scope, id, {
      vpc: this.loadBalancer.vpc!,
      port: route.port,
      protocol: route.protocol === 'https' ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      targets: [target],
      healthCheck: { path: route.healthPath, healthyHttpCodes: '200-399' },
      deregistrationDelay: Duration.seconds(30),
    });
  }

  /**
   * A further HTTP(S) port of a service (compose `80:8080` and `3000:3000`): a listener of its own
   * on `route.listenerPort` (HTTPS with the certificate when the main listener is HTTPS), whose
   * default action forwards to the service's target group for that container port. The model
   * keeps listener ports unique and off 80/443.
   */
  addPortListener(
    scope: Construct,
    target: elbv2.IApplicationLoadBalancerTarget,
    route: AlbPortRoute,
  ): elbv2.ApplicationTargetGroup {
    const id = `Port${route.listenerPort}`;
    const targetGroup = this.targetGroup(scope, `${id}TargetGroup`, target, route);
    const https = this.listener.protocol === elbv2.ApplicationProtocol.HTTPS;
    new elbv2.ApplicationListener(scope, `${id}Listener`, {
      loadBalancer: this.loadBalancer,
      port: route.listenerPort,
      protocol: https ? elbv2.ApplicationProtocol.HTTPS : elbv2.ApplicationProtocol.HTTP,
      ...(https ? { certificates: this.certificates, sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS } : {}),
      open: true,
      defaultTargetGroups: [targetGroup],
    });
    return targetGroup;
  }
}

export interface AlbPortRoute extends AlbRoute {
  /** The listener port (the entry's published port). */
  readonly listenerPort: number;
}

export interface AlbRoute {
  /** Container port of the entry. */
  readonly port: number;
  /** How the load balancer talks to the container. */
  readonly protocol: 'http' | 'https';
  /** Health check path. */
  readonly healthPath: string;
  /** Route `/*` here (the model's catch-all entry) instead of by host header. */
  readonly catchAll: boolean;
}
