import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';

export interface DeploymentAlarmsProps {
  readonly service: ecs.FargateService;
  /** The service's name as written in its template (a literal: the service refers to these alarms). */
  readonly serviceName: string;
  /** The service's ALB target group, when it is behind the public load balancer. */
  readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /**
   * Target 5xx responses per minute that count as a failing deployment.
   * @default 10
   */
  readonly max5xxPerMinute?: number;
}

/**
 * CloudWatch alarms that fail an ECS deployment and roll it back when they fire during it: target
 * 5xx responses and unhealthy targets for load-balanced services, and for every service tasks
 * running below the desired count (Container Insights). The circuit breaker already catches
 * tasks that never start; these catch a version that starts and then misbehaves.
 */
export class DeploymentAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DeploymentAlarmsProps) {
    super(scope, id);
    const minute = Duration.minutes(1);
    const service = props.service;
    const name = props.serviceName;
    this.alarms.push(
      new cloudwatch.Alarm(this, 'TasksBelowDesired', {
        alarmDescription: `${name}: fewer tasks running than desired (rolls back a deployment)`,
        metric: new cloudwatch.MathExpression({
          expression: 'desired - running',
          usingMetrics: {
            desired: this.insight(service, name, 'DesiredTaskCount'),
            running: this.insight(service, name, 'RunningTaskCount'),
          },
          period: minute,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    const tg = props.targetGroup;
    if (tg) {
      this.alarms.push(
        new cloudwatch.Alarm(this, 'Target5xx', {
          alarmDescription: `${name}: the service answers 5xx (rolls back a deployment)`,
          metric: tg.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
            period: minute,
            statistic: 'Sum',
          }),
          threshold: props.max5xxPerMinute ?? 10,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 2,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
        new cloudwatch.Alarm(this, 'UnhealthyTargets', {
          alarmDescription: `${name}: targets fail the load balancer's health check (rolls back a deployment)`,
          metric: tg.metrics.unhealthyHostCount({ period: minute, statistic: 'Maximum' }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    service.enableDeploymentAlarms(
      this.alarms.map((a) => a.alarmName),
      { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM },
    );
  }

  private insight(service: ecs.FargateService, name: string, metricName: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName,
      dimensionsMap: { ClusterName: service.cluster.clusterName, ServiceName: name },
      statistic: 'Average',
      period: Duration.minutes(1),
    });
  }
}
