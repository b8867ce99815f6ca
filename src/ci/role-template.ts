import { dump } from 'js-yaml';
import type { CiPlan } from './plan.js';

/**
 * The CloudFormation template of the roles GitHub Actions assumes (plain YAML, written from this
 * object: it is short, a reviewer reads it whole, and CDK would add a bootstrap-version parameter
 * and metadata a reviewer does not need). Two roles, both with a permissions boundary that repeats
 * their policy, so a policy attached to them later cannot widen them:
 *
 * - the **deploy role**, trusted only by jobs of `repo:OWNER/NAME` running in one of the named
 *   GitHub environments (`repo:OWNER/NAME:environment:ENV`: the environment's protection rules
 *   gate the job). It may assume the CDK bootstrap roles of the app's account and regions (deploy,
 *   file publishing, image publishing, lookup): CloudFormation changes go through CDK's deploy
 *   role, as with `cdk deploy`. Besides that, what `shipshape deploy` does itself with the
 *   caller's credentials, scoped to the app's names: read its stacks and CDKToolkit's, push to its
 *   ECR repositories, and read its ECS services, tasks and logs while it waits for steady state.
 * - the **diff role**, read-only, trusted only by pull requests of the repository
 *   (`repo:OWNER/NAME:pull_request`): it may assume only CDK's lookup role (read-only), which is
 *   what reading the deployed templates for `shipshape diff` needs.
 *
 * The account's GitHub OIDC provider is created unless `ExistingOidcProviderArn` names the one
 * it already has (an account has at most one per URL; `--create-role` finds it).
 */

export const OIDC_HOST = 'token.actions.githubusercontent.com';
/** CDK's default bootstrap qualifier (`cdk bootstrap` without --qualifier). */
export const CDK_QUALIFIER = 'hnb659fds';
/** The bootstrap roles a deploy assumes (not the CloudFormation execution role, which only CloudFormation assumes). */
const BOOTSTRAP_ROLES = ['deploy-role', 'file-publishing-role', 'image-publishing-role', 'lookup-role'];

type Statement = Record<string, unknown>;

const sub = (text: string) => ({ 'Fn::Sub': text });
const arn = (service: string, region: string, resource: string) =>
  sub(`arn:\${AWS::Partition}:${service}:${region}:\${AWS::AccountId}:${resource}`);

function regions(plan: CiPlan): string[] {
  return [...new Set(plan.environments.map((e) => e.region))].sort();
}

function bootstrapRoles(plan: CiPlan, roles: string[]) {
  return regions(plan).flatMap((region) =>
    roles.map((r) =>
      sub(
        `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/cdk-${CDK_QUALIFIER}-${r}-\${AWS::AccountId}-${region}`,
      ),
    ),
  );
}

/** What the deploy role may do: CDK's roles, and what shipshape deploy reads and pushes itself. */
export function deployStatements(plan: CiPlan): Statement[] {
  const each = <T>(f: (e: CiPlan['environments'][number]) => T[]) => plan.environments.flatMap(f);
  return [
    {
      Sid: 'AssumeCdkBootstrapRoles',
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Resource: bootstrapRoles(plan, BOOTSTRAP_ROLES),
    },
    {
      Sid: 'ReadAppStacks',
      Effect: 'Allow',
      Action: [
        'cloudformation:DescribeStacks',
        'cloudformation:ListStackResources',
        'cloudformation:GetTemplate',
      ],
      Resource: [
        ...each((e) => [
          arn('cloudformation', e.region, `stack/${e.stackPrefix}/*`),
          arn('cloudformation', e.region, `stack/${e.stackPrefix}-*/*`),
        ]),
        ...regions(plan).map((r) => arn('cloudformation', r, 'stack/CDKToolkit/*')),
      ],
    },
    {
      // The API takes no resource: it hands out a registry login; the pushes below are scoped.
      Sid: 'EcrLogin',
      Effect: 'Allow',
      Action: ['ecr:GetAuthorizationToken'],
      Resource: '*',
    },
    {
      Sid: 'PushAppImages',
      Effect: 'Allow',
      Action: [
        'ecr:BatchCheckLayerAvailability',
        'ecr:BatchGetImage',
        'ecr:CompleteLayerUpload',
        'ecr:DescribeImages',
        'ecr:InitiateLayerUpload',
        'ecr:PutImage',
        'ecr:UploadLayerPart',
      ],
      Resource: each((e) => [arn('ecr', e.region, `repository/${e.repositoryPrefix}/*`)]),
    },
    {
      Sid: 'WatchAppServices',
      Effect: 'Allow',
      Action: ['ecs:DescribeServices', 'ecs:DescribeTasks'],
      Resource: each((e) => [
        arn('ecs', e.region, `service/${e.stackPrefix}-*/*`),
        arn('ecs', e.region, `task/${e.stackPrefix}-*/*`),
      ]),
    },
    {
      Sid: 'ListAppTasks',
      Effect: 'Allow',
      Action: ['ecs:ListTasks'],
      Resource: '*',
      Condition: {
        ArnLike: { 'ecs:cluster': each((e) => [arn('ecs', e.region, `cluster/${e.stackPrefix}-*`)]) },
      },
    },
    {
      Sid: 'ReadAppLogs',
      Effect: 'Allow',
      Action: ['logs:GetLogEvents'],
      Resource: each((e) => [arn('logs', e.region, `log-group:${e.stackPrefix}-*:log-stream:*`)]),
    },
    {
      // Neither API takes a resource; both only describe.
      Sid: 'DescribeTaskDefinitionsAndLoadBalancers',
      Effect: 'Allow',
      Action: ['ecs:DescribeTaskDefinition', 'elasticloadbalancing:DescribeLoadBalancers'],
      Resource: '*',
    },
  ];
}

/** What the diff role may do: assume CDK's read-only lookup role. */
export function diffStatements(plan: CiPlan): Statement[] {
  return [
    {
      Sid: 'AssumeCdkLookupRole',
      Effect: 'Allow',
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Resource: bootstrapRoles(plan, ['lookup-role']),
    },
  ];
}

/** The OIDC subjects each role trusts: exactly these, nothing with a wildcard. */
export function trustedSubjects(plan: CiPlan): { deploy: string[]; diff: string[] } {
  const repo = `repo:${plan.repository.owner}/${plan.repository.name}`;
  return {
    deploy: plan.environments.map((e) => `${repo}:environment:${e.name}`),
    diff: [`${repo}:pull_request`],
  };
}

function trust(subjects: string[]) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: {
          Federated: {
            'Fn::If': [
              'CreateOidcProvider',
              { Ref: 'GitHubOidcProvider' },
              { Ref: 'ExistingOidcProviderArn' },
            ],
          },
        },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${OIDC_HOST}:aud`]: 'sts.amazonaws.com',
            [`${OIDC_HOST}:sub`]: subjects,
          },
        },
      },
    ],
  };
}

function rolePair(
  plan: CiPlan,
  id: 'Deploy' | 'Diff',
  name: string,
  statements: Statement[],
  subjects: string[],
  what: string,
) {
  const document = { Version: '2012-10-17', Statement: statements };
  return {
    [`${id}Boundary`]: {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: {
        Description: `Permissions boundary of ${name}: at most what its own policy grants`,
        PolicyDocument: document,
      },
    },
    [`${id}Role`]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: name,
        Description: `${what} (${plan.repository.owner}/${plan.repository.name}, shipshape app ${plan.app})`,
        MaxSessionDuration: 3600,
        PermissionsBoundary: { Ref: `${id}Boundary` },
        AssumeRolePolicyDocument: trust(subjects),
        Policies: [{ PolicyName: `shipshape-${id.toLowerCase()}`, PolicyDocument: document }],
        Tags: [
          { Key: 'app', Value: plan.app },
          { Key: 'managed-by', Value: 'shipshape' },
        ],
      },
    },
  };
}

export function roleTemplateObject(plan: CiPlan): Record<string, unknown> {
  const subjects = trustedSubjects(plan);
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `shipshape: GitHub Actions OIDC roles for ${plan.repository.owner}/${plan.repository.name} (app ${plan.app})`,
    Parameters: {
      ExistingOidcProviderArn: {
        Type: 'String',
        Default: '',
        Description: `ARN of the account's existing OIDC provider for ${OIDC_HOST}; empty creates one`,
        AllowedPattern: `^$|^arn:aws[a-z-]*:iam::\\d{12}:oidc-provider/${OIDC_HOST.replace(/\./g, '\\.')}$`,
      },
    },
    Conditions: { CreateOidcProvider: { 'Fn::Equals': [{ Ref: 'ExistingOidcProviderArn' }, ''] } },
    Resources: {
      GitHubOidcProvider: {
        Type: 'AWS::IAM::OIDCProvider',
        Condition: 'CreateOidcProvider',
        Properties: {
          Url: `https://${OIDC_HOST}`,
          ClientIdList: ['sts.amazonaws.com'],
          Tags: [{ Key: 'managed-by', Value: 'shipshape' }],
        },
      },
      ...rolePair(
        plan,
        'Deploy',
        plan.roles.deploy,
        deployStatements(plan),
        subjects.deploy,
        'Deploys from GitHub Actions',
      ),
      ...rolePair(
        plan,
        'Diff',
        plan.roles.diff,
        diffStatements(plan),
        subjects.diff,
        'Diffs pull requests from GitHub Actions, read-only',
      ),
    },
    Outputs: {
      DeployRoleArn: { Value: { 'Fn::GetAtt': ['DeployRole', 'Arn'] } },
      DiffRoleArn: { Value: { 'Fn::GetAtt': ['DiffRole', 'Arn'] } },
    },
  };
}

/** The template as YAML, with a comment saying what it is and how to deploy it. */
export function renderRoleTemplate(plan: CiPlan): string {
  const intro = [
    `# Written by \`shipshape ci github\` (shipshape ${plan.version}); see docs/ci.md.`,
    `# Deploy it once per AWS account (as an administrator): shipshape ci github --repo ${plan.repository.owner}/${plan.repository.name} --create-role`,
    `# or: aws cloudformation deploy --stack-name ${plan.roles.stack} --template-file <this file> --capabilities CAPABILITY_NAMED_IAM`,
    '',
  ].join('\n');
  // js-yaml, as synth's templates: no anchors (CloudFormation refuses YAML aliases), and quotes
  // what a YAML 1.1 reader such as CloudFormation's would take for a date ('2012-10-17').
  return intro + dump(roleTemplateObject(plan), { noRefs: true, lineWidth: -1 });
}
