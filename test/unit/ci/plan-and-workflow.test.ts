import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../../src/ci/actions.js';
import { planCi, type CiPlan } from '../../../src/ci/plan.js';
import { renderWorkflow, workflowObject } from '../../../src/ci/workflow.js';
import { selectEnvironments } from '../../../src/ci/github.js';
import { ShipshapeError } from '../../../src/model/errors.js';
import { loadApp } from '../../../src/model/load.js';
import { composeDir } from '../../support/compose-dir.js';

const SHOP = `x-shipshape:
  name: shop
  aws: { region: eu-west-1 }
  environments:
    staging: {}
    prod:
      aws: { account: "123456789012", region: eu-central-1, certificate-arn: "arn:aws:acm:eu-central-1:123456789012:certificate/x" }
services:
  web:
    build: ./web
    ports: ["80:8080"]
    x-shipshape:
      slim: { probes: [/healthz] }
  worker:
    build: ./worker
`;

function shop(extra: Record<string, string> = {}) {
  const dir = composeDir({
    'app/compose.yaml': SHOP,
    'app/web/Dockerfile': 'FROM scratch\nUSER 1000\n',
    'app/worker/Dockerfile': 'FROM scratch\nUSER 1000\n',
    ...extra,
  });
  const load = (environment?: string) => loadApp([`${dir}/app/compose.yaml`], { environment, env: {} });
  return { dir, load };
}

function plan(envs: string[] = [], root?: string): CiPlan {
  const { dir, load } = shop();
  const names = selectEnvironments(load(), envs);
  return planCi({
    apps: names.map((e) => load(e)),
    repository: { owner: 'acme', name: 'shop' },
    root: root ?? dir,
    branch: 'main',
  });
}

type Job = {
  if?: string;
  needs?: string[];
  environment?: string;
  permissions: Record<string, string>;
  steps: { uses?: string; run?: string; with?: Record<string, unknown> }[];
  strategy?: { matrix: Record<string, unknown> };
};

const jobsOf = (p: CiPlan) => (workflowObject(p) as { jobs: Record<string, Job> }).jobs;

describe('the plan', () => {
  it('deploys the declared environments in order, each with its own region and account', () => {
    const p = plan();
    expect(p.environments.map((e) => [e.name, e.region, e.account, e.profile])).toEqual([
      ['staging', 'eu-west-1', undefined, 'dev'],
      ['prod', 'eu-central-1', '123456789012', 'prod'],
    ]);
    expect(p.environments[1]).toMatchObject({ stackPrefix: 'shop-prod', repositoryPrefix: 'shop-prod' });
  });

  it('says when a profile would refuse an environment, without refusing to write the workflow', () => {
    expect(plan().environments.map((e) => e.refused)).toEqual([undefined, undefined]);
    const dir = composeDir({
      'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n    ports: ["80:8080"]\n',
    });
    const app = loadApp([`${dir}/compose.yaml`], { environment: 'prod', env: {} });
    const p = planCi({ apps: [app], repository: { owner: 'acme', name: 'shop' }, root: dir, branch: 'main' });
    expect(p.environments[0]!.refused).toMatch(
      /^environment "prod" uses the prod profile, which requires HTTPS/,
    );
  });

  it('--env picks and orders them; a bad name is refused', () => {
    expect(plan(['prod']).environments.map((e) => e.name)).toEqual(['prod']);
    expect(() => plan(['prod;rm'])).toThrow(ShipshapeError);
  });

  it('an app without declared environments deploys its default one', () => {
    const dir = composeDir({ 'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n' });
    const app = loadApp([`${dir}/compose.yaml`], { env: {} });
    expect(selectEnvironments(app, [])).toEqual(['dev']);
  });

  it('compose paths are relative to the repository root; a file outside it is refused', () => {
    expect(plan().globalArgs).toEqual(['-f', 'app/compose.yaml']);
    expect(() => plan([], '/somewhere/else')).toThrow(/outside the repository/);
  });

  it('slims on pull requests where probes are configured; deploys slim only if every built service has them', () => {
    const p = plan();
    expect(p.slimServices).toEqual(['web']);
    expect(p.deploySlim.slim).toBe(false);
    expect(p.deploySlim.reason).toMatch(/^worker has no x-shipshape.slim probes or test/);
  });

  it('names the roles after the app, within IAM’s 64 characters', () => {
    expect(plan().roles).toEqual({
      deploy: 'shipshape-shop-deploy',
      diff: 'shipshape-shop-diff',
      stack: 'shipshape-shop-github',
    });
  });
});

describe('the workflow', () => {
  const p = plan();
  const jobs = jobsOf(p);
  const text = renderWorkflow(p);

  it('pins every action to a full commit SHA, with its version as a comment', () => {
    const uses = [...text.matchAll(/uses: (\S+)(.*)$/gm)];
    expect(uses.length).toBeGreaterThan(5);
    for (const [, ref, rest] of uses) {
      expect(ref).toMatch(/^[\w-]+\/[\w/-]+@[0-9a-f]{40}$/);
      expect(rest).toMatch(/^ # v\d+\.\d+\.\d+$/);
    }
    for (const a of Object.values(ACTIONS)) expect(a.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('grants nothing by default and each job only what it needs', () => {
    expect((workflowObject(p) as { permissions: object }).permissions).toEqual({});
    expect(jobs.check!.permissions).toEqual({
      contents: 'read',
      'security-events': 'write',
      actions: 'read',
    });
    expect(jobs.slim!.permissions).toEqual({ contents: 'read' });
    expect(jobs.diff!.permissions).toEqual({
      contents: 'read',
      'id-token': 'write',
      'pull-requests': 'write',
    });
    expect(jobs['deploy-prod']!.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
  });

  it('uploads the check SARIF to code scanning even when the gate fails', () => {
    const upload = jobs.check!.steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    expect(upload).toMatchObject({
      if: "always() && hashFiles('shipshape.sarif') != ''",
      with: { sarif_file: 'shipshape.sarif' },
    });
    expect(
      jobs.check!.steps.some(
        (s) => s.run === 'shipshape -f app/compose.yaml check --format sarif -o shipshape.sarif',
      ),
    ).toBe(true);
  });

  it('deploys in order on pushes, each in its GitHub environment, with OIDC and no stored key', () => {
    expect(jobs['deploy-staging']).toMatchObject({
      if: "github.event_name == 'push'",
      needs: ['check'],
      environment: 'staging',
    });
    expect(jobs['deploy-prod']).toMatchObject({ needs: ['check', 'deploy-staging'], environment: 'prod' });
    const creds = jobs['deploy-prod']!.steps.find((s) =>
      s.uses?.startsWith('aws-actions/configure-aws-credentials@'),
    )!;
    expect(creds.with).toMatchObject({
      'role-to-assume': 'arn:aws:iam::123456789012:role/shipshape-shop-deploy',
      'aws-region': 'eu-central-1',
      'allowed-account-ids': '123456789012',
    });
    // Without an account in x-shipshape, the repository (or environment) variable names it.
    const staging = jobs['deploy-staging']!.steps.find((s) => s.uses?.startsWith('aws-actions/'))!;
    expect(staging.with!['role-to-assume']).toBe(
      'arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/shipshape-shop-deploy',
    );
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|secrets\./);
    expect(jobs['deploy-prod']!.steps.at(-1)!.run).toBe(
      'shipshape -f app/compose.yaml deploy --env prod --yes',
    );
  });

  it('diffs each environment on pull requests of the repository (not forks) with the read-only role', () => {
    expect(jobs.diff!.if).toContain('github.event.pull_request.head.repo.full_name == github.repository');
    expect(jobs.diff!.strategy!.matrix.include).toEqual([
      {
        environment: 'staging',
        region: 'eu-west-1',
        role: 'arn:aws:iam::${{ vars.AWS_ACCOUNT_ID }}:role/shipshape-shop-diff',
      },
      {
        environment: 'prod',
        region: 'eu-central-1',
        role: 'arn:aws:iam::123456789012:role/shipshape-shop-diff',
      },
    ]);
  });

  it('runs shipshape pinned to this release, installed once per job', () => {
    const doc = parse(text) as { env: Record<string, string>; on: unknown };
    expect(doc.env.SHIPSHAPE_VERSION).toBe(p.version);
    expect(doc.on).toEqual({ pull_request: {}, push: { branches: ['main'] } });
    for (const job of Object.values(jobs)) {
      expect(job.steps.filter((s) => s.run?.includes('npm install --global')).map((s) => s.run)).toEqual([
        'npm install --global --no-audit --no-fund "shipshape@${SHIPSHAPE_VERSION}"',
      ]);
    }
  });

  it('slims each configured service on pull requests, with strace', () => {
    expect(jobs.slim).toMatchObject({
      if: "github.event_name == 'pull_request'",
      strategy: { matrix: { service: ['web'] } },
    });
    expect(
      jobs.slim!.steps.some((s) => s.run?.includes('apt-get install --yes --no-install-recommends strace')),
    ).toBe(true);
  });
});
