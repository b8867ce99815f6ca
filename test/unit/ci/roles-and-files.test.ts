import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { writeCiFiles } from '../../../src/ci/files.js';
import type { CiPlan } from '../../../src/ci/plan.js';
import { parseRepository, repositoryOfRemote } from '../../../src/ci/repository.js';
import { renderRoleTemplate, roleTemplateObject } from '../../../src/ci/role-template.js';
import { ShipshapeError } from '../../../src/model/errors.js';
import { composeDir } from '../../support/compose-dir.js';

const plan: CiPlan = {
  app: 'shop',
  repository: { owner: 'acme', name: 'shop' },
  root: '/repo',
  globalArgs: ['-f', 'compose.yaml'],
  environments: [
    {
      name: 'staging',
      region: 'eu-west-1',
      profile: 'dev',
      stackPrefix: 'shop-staging',
      repositoryPrefix: 'shop-staging',
    },
    {
      name: 'prod',
      region: 'eu-central-1',
      account: '123456789012',
      profile: 'prod',
      stackPrefix: 'shop-prod',
      repositoryPrefix: 'shop-prod',
    },
  ],
  slimServices: [],
  deploySlim: { slim: false, reason: '' },
  branch: 'main',
  version: '0.1.0',
  roles: { deploy: 'shipshape-shop-deploy', diff: 'shipshape-shop-diff', stack: 'shipshape-shop-github' },
};

type Statement = { Sid: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
type Role = {
  Properties: {
    RoleName: string;
    PermissionsBoundary: { Ref: string };
    AssumeRolePolicyDocument: {
      Statement: { Action: string; Condition: { StringEquals: Record<string, unknown> } }[];
    };
    Policies: { PolicyDocument: { Statement: Statement[] } }[];
  };
};

const template = roleTemplateObject(plan) as {
  Resources: Record<string, Role & { Type: string; Properties: { PolicyDocument?: unknown } }>;
};
const role = (id: string) => template.Resources[id]!;
const statements = (id: string) => role(id).Properties.Policies[0]!.PolicyDocument.Statement;
const text = (v: unknown) => JSON.stringify(v);

describe('the role template', () => {
  it('the deploy role trusts only the named environments of acme/shop, audience sts.amazonaws.com', () => {
    const trust = role('DeployRole').Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toHaveLength(1);
    expect(trust[0]!.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(trust[0]!.Condition).toEqual({
      StringEquals: {
        'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
        'token.actions.githubusercontent.com:sub': [
          'repo:acme/shop:environment:staging',
          'repo:acme/shop:environment:prod',
        ],
      },
    });
  });

  it('the diff role trusts only pull requests of acme/shop and may only assume the lookup roles', () => {
    expect(
      role('DiffRole').Properties.AssumeRolePolicyDocument.Statement[0]!.Condition.StringEquals,
    ).toMatchObject({
      'token.actions.githubusercontent.com:sub': ['repo:acme/shop:pull_request'],
    });
    const s = statements('DiffRole');
    expect(s).toHaveLength(1);
    expect(s[0]!.Action).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    expect(text(s[0]!.Resource)).toBe(
      text([
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-lookup-role-${AWS::AccountId}-eu-central-1',
        },
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-lookup-role-${AWS::AccountId}-eu-west-1',
        },
      ]),
    );
  });

  it('the deploy role may assume only the CDK bootstrap roles of its account and regions (not the execution role)', () => {
    const assume = statements('DeployRole').filter((s) => text(s.Action).includes('sts:AssumeRole'));
    expect(assume).toHaveLength(1);
    const resources = (assume[0]!.Resource as { 'Fn::Sub': string }[]).map((r) => r['Fn::Sub']);
    expect(resources).toHaveLength(8); // 4 roles × 2 regions
    for (const r of resources) {
      expect(r).toMatch(
        /^arn:\$\{AWS::Partition\}:iam::\$\{AWS::AccountId\}:role\/cdk-hnb659fds-(deploy|file-publishing|image-publishing|lookup)-role-\$\{AWS::AccountId\}-eu-(west|central)-1$/,
      );
    }
    expect(text(statements('DeployRole'))).not.toContain('cfn-exec-role');
  });

  it('every other grant of the deploy role is scoped to the app’s names, or is an API without resources', () => {
    const unscoped = statements('DeployRole').filter((s) => s.Resource === '*');
    expect(unscoped.map((s) => [s.Sid, s.Action, s.Condition !== undefined])).toEqual([
      ['EcrLogin', ['ecr:GetAuthorizationToken'], false],
      ['ListAppTasks', ['ecs:ListTasks'], true],
      [
        'DescribeTaskDefinitionsAndLoadBalancers',
        ['ecs:DescribeTaskDefinition', 'elasticloadbalancing:DescribeLoadBalancers'],
        false,
      ],
    ]);
    const push = statements('DeployRole').find((s) => s.Sid === 'PushAppImages')!;
    expect(text(push.Resource)).toBe(
      text([
        { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:eu-west-1:${AWS::AccountId}:repository/shop-staging/*' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:eu-central-1:${AWS::AccountId}:repository/shop-prod/*' },
      ]),
    );
    // Nothing may touch IAM, and nothing is granted on every action.
    expect(text(statements('DeployRole'))).not.toMatch(/"iam:|":\*"|"\*:/);
  });

  it('each role has a permissions boundary that is exactly its own policy', () => {
    for (const id of ['Deploy', 'Diff']) {
      const r = role(`${id}Role`);
      expect(r.Properties.PermissionsBoundary).toEqual({ Ref: `${id}Boundary` });
      expect(role(`${id}Boundary`).Type).toBe('AWS::IAM::ManagedPolicy');
      expect(role(`${id}Boundary`).Properties.PolicyDocument).toEqual(
        r.Properties.Policies[0]!.PolicyDocument,
      );
    }
  });

  it('creates the GitHub OIDC provider unless the account’s existing one is given', () => {
    expect(role('GitHubOidcProvider')).toMatchObject({
      Type: 'AWS::IAM::OIDCProvider',
      Condition: 'CreateOidcProvider',
      Properties: { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] },
    });
  });

  it('is YAML CloudFormation reads: no aliases, dates quoted', () => {
    const yaml = renderRoleTemplate(plan);
    expect(yaml).not.toMatch(/[&*]ref_|&a\d|\*a\d/);
    expect(yaml).toContain("Version: '2012-10-17'");
    expect(loadYaml(yaml)).toEqual(JSON.parse(JSON.stringify(roleTemplateObject(plan))));
  });
});

describe('the repository', () => {
  it('accepts OWNER/NAME as GitHub spells them', () => {
    expect(parseRepository('acme/shop')).toEqual({ owner: 'acme', name: 'shop' });
    expect(parseRepository('Acme-Corp/my.repo_1')).toEqual({ owner: 'Acme-Corp', name: 'my.repo_1' });
  });

  it.each([
    'acme',
    'acme/',
    '/shop',
    'acme/shop/x',
    '-acme/shop',
    'ac--me/shop',
    'acme/sh op',
    'acme/..',
    'acme/shop:x',
    '',
  ])('refuses %j with exit 2', (bad) => {
    let err: unknown;
    try {
      parseRepository(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShipshapeError);
    expect((err as ShipshapeError).exitCode).toBe(2);
    expect((err as ShipshapeError).hint).toMatch(/--repo acme\/shop/);
  });

  it('reads github.com remotes in every URL form, and nothing else', () => {
    for (const url of [
      'https://github.com/acme/shop.git',
      'git@github.com:acme/shop.git',
      'ssh://git@github.com/acme/shop',
      'https://github.com/acme/shop',
    ])
      expect(repositoryOfRemote(url)).toEqual({ owner: 'acme', name: 'shop' });
    expect(repositoryOfRemote('https://gitlab.com/acme/shop.git')).toBeUndefined();
    expect(repositoryOfRemote('https://github.com.evil.example/acme/shop')).toBeUndefined();
  });
});

describe('writing the files', () => {
  it('creates, then leaves identical files alone, and refuses to overwrite other content unless forced', () => {
    const dir = composeDir({});
    const files = { '.github/workflows/shipshape.yml': 'a\n', '.github/shipshape-roles.yaml': 'b\n' };
    expect(writeCiFiles(dir, files, false).map((f) => f.status)).toEqual(['created', 'created']);
    expect(writeCiFiles(dir, files, false).map((f) => f.status)).toEqual(['unchanged', 'unchanged']);
    const mine = join(dir, '.github/workflows/shipshape.yml');
    writeFileSync(mine, 'my own workflow\n');
    let err: unknown;
    try {
      writeCiFiles(dir, { ...files, '.github/shipshape-roles.yaml': 'c\n' }, false);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShipshapeError);
    expect((err as ShipshapeError).exitCode).toBe(2);
    expect((err as ShipshapeError).message).toContain(mine);
    // Nothing was written: neither the user's file nor the other one.
    expect(readFileSync(mine, 'utf8')).toBe('my own workflow\n');
    expect(readFileSync(join(dir, '.github/shipshape-roles.yaml'), 'utf8')).toBe('b\n');
    expect(writeCiFiles(dir, files, true).map((f) => f.status)).toEqual(['replaced', 'unchanged']);
    expect(readFileSync(mine, 'utf8')).toBe('a\n');
  });
});
