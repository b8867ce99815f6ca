/**
 * `shipshape ci github` driven as a user runs it (the shipped bin), with the real oracles:
 * actionlint (Go, `scripts/dev-env.sh` installs it; with shellcheck it also checks every `run:`
 * script) on every generated workflow, cfn-lint and checkov on the role template, git for the
 * repository and branch it reads from a clone, and moto for `--create-role`.
 *
 * What moto does with the role stack: it creates the IAM roles, their inline policies and the
 * managed policies used as permissions boundaries, and reads them back faithfully; it has no
 * AWS::IAM::OIDCProvider (skipped silently, so a trust policy referring to it reads back with an
 * empty principal). The test therefore creates the provider through the IAM API first, as an
 * account that already has one would, and asserts that `--create-role` found it and that the
 * roles trust exactly it. The path that creates the provider is covered by cfn-lint, checkov and
 * the unit tests on the template.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  CreateOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { load as loadYaml } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shipshape } from '../support/cli.js';
import { checkov } from '../support/checkov.js';
import { startMoto, type Moto } from '../support/moto.js';

const root = resolve(import.meta.dirname, '../..');
const VENV = process.env.SHIPSHAPE_VENV ?? '/opt/shipshape-venv';
const ACTIONLINT = process.env.ACTIONLINT ?? 'actionlint';
const WORKFLOW = '.github/workflows/shipshape.yml';
const ROLES = '.github/shipshape-roles.yaml';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'shipshape-ci-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of examples/web-api (outside any git checkout). */
function webApi(): string {
  const d = tempDir();
  cpSync(join(root, 'examples/web-api'), d, { recursive: true });
  return d;
}

function actionlint(file: string): { code: number | null; out: string } {
  const r = spawnSync(ACTIONLINT, ['-no-color', file], { encoding: 'utf8' });
  if (r.error) throw new Error(`actionlint is missing (${r.error.message}): run scripts/dev-env.sh`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

function cfnLint(file: string): { code: number | null; out: string } {
  const r = spawnSync(join(VENV, 'bin/cfn-lint'), [file], { encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

/** Every OIDC subject any role of the template trusts. */
function trustedSubjects(template: Template): string[] {
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Role')
    .flatMap((r) => {
      const doc = r.Properties.AssumeRolePolicyDocument as {
        Statement: { Condition: { StringEquals: Record<string, string | string[]> } }[];
      };
      return doc.Statement.flatMap((s) =>
        [s.Condition.StringEquals['token.actions.githubusercontent.com:sub']!].flat(),
      );
    });
}

describe('ci github on examples/web-api: --repo acme/shop -o out', () => {
  let dir: string;
  let run: ReturnType<typeof shipshape>;
  beforeAll(() => {
    dir = webApi();
    run = shipshape(['ci', 'github', '--repo', 'acme/shop', '-o', 'out'], { cwd: dir });
  });

  it('writes the workflow and the role template', () => {
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`out/${WORKFLOW} (created)`);
    expect(run.stdout).toContain(`out/${ROLES} (created)`);
    // out/ is not the repository root: the user is told where GitHub reads workflows from.
    expect(run.stdout).toMatch(/GitHub reads workflows from \S+\/\.github\/workflows only/);
  });

  it('actionlint (with shellcheck on the scripts) accepts the workflow', () => {
    const r = actionlint(join(dir, 'out', WORKFLOW));
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('the workflow uses OIDC, uploads SARIF and pins every action to a commit SHA', () => {
    const text = readFileSync(join(dir, 'out', WORKFLOW), 'utf8');
    expect(text).toMatch(/^ {6}id-token: write$/m);
    expect(text).toMatch(/uses: github\/codeql-action\/upload-sarif@[0-9a-f]{40} # v4\.\d+\.\d+$/m);
    expect(text).toMatch(/uses: aws-actions\/configure-aws-credentials@[0-9a-f]{40} # v\d/m);
    const uses = [...text.matchAll(/^\s*(?:- )?uses: (.*)$/gm)].map((m) => m[1]!);
    expect(uses.length).toBe(9); // checkout and setup-node in 3 jobs, upload-sarif, credentials in 2
    for (const u of uses) expect(u).toMatch(/^[\w-]+\/[\w/-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    expect(text).not.toMatch(/aws-access-key-id|secrets\./);
    expect(text).toContain('shipshape -f compose.yaml check --format sarif -o shipshape.sarif');
    expect(text).toContain('SHIPSHAPE_VERSION: 0.1.0');
  });

  it('the role template passes cfn-lint and checkov, and trusts only repo:acme/shop', () => {
    const file = join(dir, 'out', ROLES);
    const lint = cfnLint(file);
    expect(lint.out).toBe('');
    expect(lint.code).toBe(0);
    const result = checkov([file]);
    expect(result.results.failed_checks).toEqual([]);
    expect(result.summary.passed).toBeGreaterThan(20);
    expect(result.summary.skipped).toBe(0);
    const subjects = trustedSubjects(loadYaml(readFileSync(file, 'utf8')) as Template);
    expect(subjects.sort()).toEqual(['repo:acme/shop:environment:dev', 'repo:acme/shop:pull_request']);
  });

  it('a second run changes nothing; a file the user changed is not overwritten without --force', () => {
    const again = shipshape(['ci', 'github', '--repo', 'acme/shop', '-o', 'out'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`out/${WORKFLOW} (unchanged)`);
    const workflow = join(dir, 'out', WORKFLOW);
    const generated = readFileSync(workflow, 'utf8');
    writeFileSync(workflow, `${generated}# my own step\n`);
    const refused = shipshape(['ci', 'github', '--repo', 'acme/shop', '-o', 'out'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/shipshape\.yml already exists with other content; nothing was written/);
    expect(refused.stderr).toMatch(/--force/);
    expect(readFileSync(workflow, 'utf8')).toBe(`${generated}# my own step\n`);
    const forced = shipshape(['ci', 'github', '--repo', 'acme/shop', '-o', 'out', '--force'], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain(`out/${WORKFLOW} (replaced)`);
    expect(readFileSync(workflow, 'utf8')).toBe(generated);
  });

  it.each([['acme'], ['acme/shop/extra'], ['-acme/shop'], ['acme/my shop']])(
    'a malformed --repo %j is refused (exit 2)',
    (repo) => {
      const d = webApi();
      const r = shipshape(['ci', 'github', '--repo', repo], { cwd: d });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--repo "${repo}" is not a GitHub repository (OWNER/NAME)`);
      expect(existsSync(join(d, '.github'))).toBe(false);
    },
  );
});

const SHOP = `x-shipshape:
  name: shop
  aws:
    region: eu-west-1
    vpc:
      id: vpc-0123456789abcdef0
      public-subnets: [subnet-0a000000000000001, subnet-0a000000000000002]
      private-subnets: [subnet-0b000000000000001, subnet-0b000000000000002]
  environments:
    staging: {}
    prod:
      aws:
        account: "123456789012"
        region: eu-central-1
        certificate-arn: arn:aws:acm:eu-central-1:123456789012:certificate/x
services:
  web:
    build: ./web
    ports: ["80:8080"]
    x-shipshape:
      health-path: /healthz
      slim: { probes: [/healthz] }
`;

describe('ci github in a git clone: two environments, an account, slim and an existing VPC', () => {
  let repo: string;
  let run: ReturnType<typeof shipshape>;
  beforeAll(() => {
    repo = tempDir();
    cpSync(join(root, 'examples/web-api/web'), join(repo, 'app/web'), { recursive: true });
    writeFileSync(join(repo, 'app/compose.yaml'), SHOP);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'ignore' });
    git('init', '-q');
    git('remote', 'add', 'origin', 'git@github.com:Acme/shop-app.git');
    git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/trunk');
    // From the app's directory, without --repo, -o or --branch: all read from the clone.
    run = shipshape(['ci', 'github', '--json'], { cwd: join(repo, 'app') });
  });

  it('reads the repository and default branch from origin, and writes at the repository root', () => {
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as { plan: { repository: object; branch: string; root: string } };
    expect(r.plan.repository).toEqual({ owner: 'Acme', name: 'shop-app' });
    expect(r.plan.branch).toBe('trunk');
    expect(existsSync(join(repo, WORKFLOW))).toBe(true);
    expect(existsSync(join(repo, ROLES))).toBe(true);
  });

  it('actionlint accepts the workflow', () => {
    const r = actionlint(join(repo, WORKFLOW));
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('deploys staging then prod on pushes to trunk, prod into its own account only', () => {
    const w = loadYaml(readFileSync(join(repo, WORKFLOW), 'utf8')) as {
      on: { push: { branches: string[] } };
      jobs: Record<
        string,
        { needs?: string[]; environment?: string; steps: { with?: Record<string, string>; run?: string }[] }
      >;
    };
    expect(w.on.push.branches).toEqual(['trunk']);
    expect(Object.keys(w.jobs)).toEqual(['check', 'slim', 'diff', 'deploy-staging', 'deploy-prod']);
    expect(w.jobs['deploy-prod']!.needs).toEqual(['check', 'deploy-staging']);
    const creds = w.jobs['deploy-prod']!.steps.find((s) => s.with?.['role-to-assume'])!.with!;
    expect(creds).toMatchObject({
      'role-to-assume': 'arn:aws:iam::123456789012:role/shipshape-shop-deploy',
      'aws-region': 'eu-central-1',
      'allowed-account-ids': '123456789012',
    });
    // Every built service has slim probes: deploy ships the verified slim images.
    expect(w.jobs['deploy-prod']!.steps.at(-1)!.run).toBe(
      'shipshape -f app/compose.yaml deploy --env prod --yes --slim',
    );
  });

  it('the role template passes cfn-lint and checkov, and trusts the two environments and pull requests', () => {
    const file = join(repo, ROLES);
    expect(cfnLint(file)).toEqual({ code: 0, out: '' });
    expect(checkov([file]).results.failed_checks).toEqual([]);
    const subjects = trustedSubjects(loadYaml(readFileSync(file, 'utf8')) as Template);
    expect(subjects.sort()).toEqual([
      'repo:Acme/shop-app:environment:prod',
      'repo:Acme/shop-app:environment:staging',
      'repo:Acme/shop-app:pull_request',
    ]);
  });
});

describe('ci github --create-role against moto', () => {
  let moto: Moto;
  let iam: IAMClient;
  beforeAll(async () => {
    moto = await startMoto();
    iam = new IAMClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });
  afterAll(async () => {
    iam?.destroy();
    await moto?.stop();
  });

  it('deploys the roles with the toolkit, trusting the account’s existing GitHub OIDC provider', async () => {
    const provider = await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: 'https://token.actions.githubusercontent.com',
        ClientIDList: ['sts.amazonaws.com'],
      }),
    );
    const dir = webApi();
    const r = shipshape(['ci', 'github', '--repo', 'acme/shop', '--create-role'], {
      cwd: dir,
      env: moto.env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('stack shipshape-web-api-github deployed to 123456789012 / us-east-1');
    expect(r.stdout).toContain(`OIDC provider: the account's own (${provider.OpenIDConnectProviderArn})`);

    const deploy = (await iam.send(new GetRoleCommand({ RoleName: 'shipshape-web-api-deploy' }))).Role!;
    const trust = JSON.parse(decodeURIComponent(deploy.AssumeRolePolicyDocument!)) as {
      Statement: { Principal: unknown; Action: string; Condition: unknown }[];
    };
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Federated: provider.OpenIDConnectProviderArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': ['repo:acme/shop:environment:dev'],
          },
        },
      },
    ]);
    expect(deploy.PermissionsBoundary?.PermissionsBoundaryArn).toMatch(
      /:policy\/shipshape-web-api-github-DeployBoundary-/,
    );
    // The boundary holds the role's own statements (moto reads inline role policies back as
    // Python text, managed policies as the JSON they were given).
    const boundaryArn = deploy.PermissionsBoundary!.PermissionsBoundaryArn!;
    const version = (await iam.send(new GetPolicyCommand({ PolicyArn: boundaryArn }))).Policy!
      .DefaultVersionId!;
    const document = (
      await iam.send(new GetPolicyVersionCommand({ PolicyArn: boundaryArn, VersionId: version }))
    ).PolicyVersion!.Document!;
    const statements = (
      JSON.parse(decodeURIComponent(document)) as { Statement: { Sid: string; Resource: unknown }[] }
    ).Statement;
    expect(statements.map((s) => s.Sid)).toContain('PushAppImages');
    const assume = statements.find((s) => s.Sid === 'AssumeCdkBootstrapRoles')!;
    expect(assume.Resource).toEqual([
      'arn:aws:iam::123456789012:role/cdk-hnb659fds-deploy-role-123456789012-us-east-1',
      'arn:aws:iam::123456789012:role/cdk-hnb659fds-file-publishing-role-123456789012-us-east-1',
      'arn:aws:iam::123456789012:role/cdk-hnb659fds-image-publishing-role-123456789012-us-east-1',
      'arn:aws:iam::123456789012:role/cdk-hnb659fds-lookup-role-123456789012-us-east-1',
    ]);

    const diff = (await iam.send(new GetRoleCommand({ RoleName: 'shipshape-web-api-diff' }))).Role!;
    expect(decodeURIComponent(diff.AssumeRolePolicyDocument!)).toContain('"repo:acme/shop:pull_request"');
    expect(diff.PermissionsBoundary?.PermissionsBoundaryArn).toMatch(/DiffBoundary/);
  });

  it('without credentials: exit 3 with the fix, and the files are still written', () => {
    const dir = webApi();
    const r = shipshape(['ci', 'github', '--repo', 'acme/shop', '--create-role'], {
      cwd: dir,
      env: {
        ...moto.env,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_PROFILE: undefined,
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
        AWS_CONFIG_FILE: join(dir, 'none'),
      },
    });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no AWS credentials found/);
    expect(existsSync(join(dir, WORKFLOW))).toBe(true);
  });
});
