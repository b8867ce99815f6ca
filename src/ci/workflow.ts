import { Document, isScalar, visit } from 'yaml';
import { ACTIONS, usesRef, type PinnedAction } from './actions.js';
import type { CiEnvironment, CiPlan } from './plan.js';

/**
 * The GitHub Actions workflow: on pull requests `check` (SARIF to code scanning), `slim` per
 * service with slim probes, and `diff` per environment posted as a comment; on pushes to the
 * default branch `check`, then `deploy` per environment in order, each in its GitHub environment
 * (where required reviewers approve). AWS credentials come from GitHub's OIDC token through
 * configure-aws-credentials: no stored keys. Written with the `yaml` library, which keeps the
 * version comment beside each pinned action.
 */

type Step = Record<string, unknown>;
type Job = Record<string, unknown>;

/** Where the workflow's account id comes from when x-shipshape does not name it. */
export const ACCOUNT_VARIABLE = 'AWS_ACCOUNT_ID';

const uses = (action: PinnedAction, extra: Omit<Step, 'uses'> = {}): Step => ({
  ...(extra.name ? { name: extra.name } : {}),
  uses: usesRef(action),
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'name')),
});

/** The same first steps in every job: the code, Node 20 and this shipshape release. */
function setupSteps(): Step[] {
  return [
    uses(ACTIONS.checkout, { with: { 'persist-credentials': false } }),
    uses(ACTIONS.setupNode, { with: { 'node-version': 20 } }),
    {
      name: 'Install shipshape',
      run: 'npm install --global --no-audit --no-fund "shipshape@${SHIPSHAPE_VERSION}"',
    },
  ];
}

const straceStep: Step = {
  name: 'Install strace (slim traces the service)',
  run: 'sudo apt-get update -q && sudo apt-get install --yes --no-install-recommends strace',
};

/** `shipshape -f compose.yaml <args>` as a shell line (arguments quoted when they need it). */
function shipshape(plan: CiPlan, args: string[]): string {
  const quote = (a: string) =>
    /^[\w@%+=:,./-]+$/.test(a) || a.startsWith('"') ? a : `'${a.replace(/'/g, `'\\''`)}'`;
  return ['shipshape', ...plan.globalArgs, ...args].map(quote).join(' ');
}

export function roleArn(env: CiEnvironment, role: string): string {
  return `arn:aws:iam::${env.account ?? `\${{ vars.${ACCOUNT_VARIABLE} }}`}:role/${role}`;
}

function credentialsStep(env: CiEnvironment | 'matrix', role: string, session: string): Step {
  const fromMatrix = env === 'matrix';
  return uses(ACTIONS.awsCredentials, {
    name: 'AWS credentials (OIDC, no stored keys)',
    with: {
      'role-to-assume': fromMatrix ? '${{ matrix.role }}' : roleArn(env, role),
      'aws-region': fromMatrix ? '${{ matrix.region }}' : env.region,
      'role-session-name': `${session}-\${{ github.run_id }}`,
      ...(!fromMatrix && env.account ? { 'allowed-account-ids': env.account } : {}),
    },
  });
}

function checkJob(plan: CiPlan): Job {
  return {
    name: 'check (security gate, SARIF to code scanning)',
    'runs-on': 'ubuntu-24.04',
    'timeout-minutes': 20,
    permissions: { contents: 'read', 'security-events': 'write', actions: 'read' },
    steps: [
      ...setupSteps(),
      {
        name: 'shipshape check',
        run: shipshape(plan, ['check', '--format', 'sarif', '-o', 'shipshape.sarif']),
      },
      uses(ACTIONS.uploadSarif, {
        name: 'Upload the findings to code scanning',
        if: "always() && hashFiles('shipshape.sarif') != ''",
        with: { sarif_file: 'shipshape.sarif', category: 'shipshape' },
      }),
    ],
  };
}

function slimJob(plan: CiPlan): Job {
  return {
    name: 'slim ${{ matrix.service }}',
    if: "github.event_name == 'pull_request'",
    'runs-on': 'ubuntu-24.04',
    'timeout-minutes': 30,
    permissions: { contents: 'read' },
    strategy: { 'fail-fast': false, matrix: { service: plan.slimServices } },
    steps: [
      ...setupSteps(),
      straceStep,
      {
        name: 'shipshape slim (trace, rebuild, verify with the probes)',
        env: { SERVICE: '${{ matrix.service }}' },
        run: shipshape(plan, ['slim', '"$SERVICE"']),
      },
    ],
  };
}

/** The comment script: one comment per environment, edited in place on later pushes. */
const COMMENT_SCRIPT = `marker="<!-- shipshape-diff:\${ENVIRONMENT} -->"
{
  echo "$marker"
  echo "#### shipshape diff: \\\`\${ENVIRONMENT}\\\`"
  if [ "$DIFF_EXIT" = 0 ]; then echo "A deploy would change nothing."; else echo "A deploy would change the stacks below (security first)."; fi
  echo
  echo '\`\`\`'
  head -c 60000 diff.txt
  echo '\`\`\`'
} > comment.md
comments="repos/\${GITHUB_REPOSITORY}/issues/\${PR_NUMBER}/comments"
id=$(gh api "$comments" --paginate --jq ".[] | select(.body | startswith(\\"$marker\\")) | .id" | tail -n 1)
if [ -n "$id" ]; then
  gh api --method PATCH "repos/\${GITHUB_REPOSITORY}/issues/comments/$id" -F body=@comment.md > /dev/null
else
  gh api --method POST "$comments" -F body=@comment.md > /dev/null
fi
`;

function diffJob(plan: CiPlan): Job {
  const diff = shipshape(plan, ['diff', '--env', '"$ENVIRONMENT"']);
  return {
    name: 'diff ${{ matrix.environment }}',
    // Pull requests from forks get no OIDC token (and may not comment): diff runs for branches
    // of the repository itself.
    if: "github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository",
    'runs-on': 'ubuntu-24.04',
    'timeout-minutes': 20,
    permissions: { contents: 'read', 'id-token': 'write', 'pull-requests': 'write' },
    strategy: {
      'fail-fast': false,
      matrix: {
        include: plan.environments.map((e) => ({
          environment: e.name,
          region: e.region,
          role: roleArn(e, plan.roles.diff),
        })),
      },
    },
    steps: [
      ...setupSteps(),
      credentialsStep('matrix', plan.roles.diff, 'shipshape-diff'),
      {
        name: 'shipshape diff (exit 5: something would change)',
        id: 'diff',
        env: { ENVIRONMENT: '${{ matrix.environment }}' },
        run: `status=0\n${diff} > diff.txt || status=$?\necho "exit=$status" >> "$GITHUB_OUTPUT"\nif [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi\n`,
      },
      {
        name: 'Comment the diff on the pull request',
        env: {
          GH_TOKEN: '${{ github.token }}',
          PR_NUMBER: '${{ github.event.pull_request.number }}',
          ENVIRONMENT: '${{ matrix.environment }}',
          DIFF_EXIT: '${{ steps.diff.outputs.exit }}',
        },
        run: COMMENT_SCRIPT,
      },
    ],
  };
}

function deployJob(plan: CiPlan, env: CiEnvironment, previous: string | undefined): Job {
  const args = ['deploy', '--env', env.name, '--yes', ...(plan.deploySlim.slim ? ['--slim'] : [])];
  return {
    name: `deploy ${env.name}`,
    if: "github.event_name == 'push'",
    needs: previous ? ['check', previous] : ['check'],
    'runs-on': 'ubuntu-24.04',
    'timeout-minutes': 60,
    // The GitHub environment: its protection rules (required reviewers, branches) gate the job,
    // and its name is the OIDC subject the deploy role trusts.
    environment: env.name,
    concurrency: { group: `shipshape-deploy-${env.name}`, 'cancel-in-progress': false },
    permissions: { contents: 'read', 'id-token': 'write' },
    steps: [
      ...setupSteps(),
      ...(plan.deploySlim.slim ? [straceStep] : []),
      credentialsStep(env, plan.roles.deploy, `shipshape-deploy-${env.name}`),
      { name: `shipshape deploy ${env.name}`, run: shipshape(plan, args) },
    ],
  };
}

/** Job id of an environment's deploy job. */
export const deployJobId = (env: string) => `deploy-${env}`;

export function workflowObject(plan: CiPlan): Record<string, unknown> {
  const jobs: Record<string, Job> = { check: checkJob(plan) };
  if (plan.slimServices.length > 0) jobs.slim = slimJob(plan);
  jobs.diff = diffJob(plan);
  let previous: string | undefined;
  for (const env of plan.environments) {
    jobs[deployJobId(env.name)] = deployJob(plan, env, previous);
    previous = deployJobId(env.name);
  }
  return {
    name: 'shipshape',
    on: { pull_request: {}, push: { branches: [plan.branch] } },
    // Nothing by default; each job asks for what it needs.
    permissions: {},
    concurrency: {
      // A new push to a pull request cancels its previous run; pushes to the branch each run.
      group: '${{ github.workflow }}-${{ github.event.pull_request.number || github.sha }}',
      'cancel-in-progress': true,
    },
    env: { SHIPSHAPE_VERSION: plan.version },
    jobs,
  };
}

function header(plan: CiPlan): string {
  const { owner, name } = plan.repository;
  return [
    ` Written by \`shipshape ci github\` (shipshape ${plan.version}) for ${owner}/${name}; see docs/ci.md.`,
    ' Pull requests: check (SARIF to code scanning), slim, diff as a comment. Pushes to',
    ` ${plan.branch}: check, then deploy ${plan.environments.map((e) => e.name).join(' → ')}, each in its GitHub environment.`,
    ' AWS credentials: OIDC (id-token: write) into the roles of .github/shipshape-roles.yaml; no stored keys.',
    ' Every action is pinned to a full commit SHA (its version in the comment beside it).',
    ' shipshape is pinned to SHIPSHAPE_VERSION and installed once per job with npm install --global,',
    ' so each step runs `shipshape ...` exactly as typed locally (npx would resolve it per step).',
  ].join('\n');
}

/** The workflow file's text. */
export function renderWorkflow(plan: CiPlan): string {
  const doc = new Document(workflowObject(plan));
  doc.commentBefore = header(plan);
  const versions = new Map(Object.values(ACTIONS).map((a) => [usesRef(a), a.version]));
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'uses' && isScalar(pair.value)) {
        pair.value.comment = ` ${versions.get(String(pair.value.value))}`;
      }
    },
  });
  return doc.toString({ lineWidth: 0 });
}
