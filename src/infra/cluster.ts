import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';

export interface AppClusterProps {
  readonly vpc: ec2.IVpc;
  /** Cloud Map namespace for Service Connect, e.g. `dev.myapp.internal`. */
  readonly namespaceName: string;
  /**
   * ARN of an existing Cloud Map namespace to use instead of creating one (a namespace shared by
   * several apps, or one made outside CloudFormation).
   * @default a new HTTP namespace called `namespaceName`
   */
  readonly namespaceArn?: string;
}

/**
 * An ECS cluster for Fargate tasks with Container Insights on, and the Cloud Map (HTTP) namespace
 * private services are reached through with Service Connect.
 */
export class AppCluster extends Construct {
  readonly cluster: ecs.Cluster;
  readonly namespace: servicediscovery.IHttpNamespace;

  constructor(scope: Construct, id: string, props: AppClusterProps) {
    super(scope, id);
    this.namespace = props.namespaceArn
      ? servicediscovery.HttpNamespace.fromHttpNamespaceAttributes(this, 'Namespace', {
          namespaceArn: props.namespaceArn,
          namespaceId: props.namespaceArn.split('/').pop()!,
          namespaceName: props.namespaceName,
        })
      : new servicediscovery.HttpNamespace(this, 'Namespace', { name: props.namespaceName });
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      enableFargateCapacityProviders: false,
    });
  }
}
