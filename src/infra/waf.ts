import { Arn, ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** AWS managed rule groups every production load balancer gets (all free of extra subscription). */
export const MANAGED_RULE_GROUPS = [
  // OWASP-style protections: bad bots, XSS, path traversal, oversized bodies.
  'AWSManagedRulesCommonRuleSet',
  // Request patterns known to be malicious, including Log4j (CVE-2021-44228) lookups.
  'AWSManagedRulesKnownBadInputsRuleSet',
  // Addresses Amazon threat intelligence lists as sources of attacks.
  'AWSManagedRulesAmazonIpReputationList',
  // SQL injection patterns.
  'AWSManagedRulesSQLiRuleSet',
] as const;

export interface LoadBalancerFirewallProps {
  /** ARN of the Application Load Balancer to protect. */
  readonly loadBalancerArn: string;
  /**
   * Days to keep the WAF logs.
   * @default 90
   */
  readonly logRetentionDays?: number;
}

/**
 * AWS WAF in front of the public Application Load Balancer: a regional web ACL that allows by
 * default and blocks what the AWS managed rule groups match, with metrics and full request logs
 * (to a log group whose name WAF requires to start with `aws-waf-logs-`).
 */
export class LoadBalancerFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: LoadBalancerFirewallProps) {
    super(scope, id);
    const metric = (name: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName: name,
      sampledRequestsEnabled: true,
    });
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: metric(`${Stack.of(this).stackName}-waf`.slice(0, 128)),
      rules: MANAGED_RULE_GROUPS.map((name, priority) => ({
        name,
        priority,
        overrideAction: { none: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
        visibilityConfig: metric(name),
      })),
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `aws-waf-logs-${Stack.of(this).stackName}`,
      retention: props.logRetentionDays ?? 90,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group ARN without the `:*` suffix LogGroup.logGroupArn carries.
      logDestinationConfigs: [
        Arn.format(
          {
            service: 'logs',
            resource: 'log-group',
            resourceName: this.logGroup.logGroupName,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          },
          Stack.of(this),
        ),
      ],
    });
  }
}
