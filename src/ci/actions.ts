/**
 * The third-party actions the generated workflow uses, each pinned to a full commit SHA: a tag can
 * be moved to other code, a commit cannot. The version a SHA is goes beside it as a comment in the
 * workflow, so a reader (and Dependabot or Renovate, which update such pins) knows what it is.
 *
 * Where each SHA comes from: the action's own GitHub repository, read offline from a snapshot
 * (`git --git-dir=<mirror> rev-parse refs/tags/<version>^{commit}`, August 2026); the tag is the
 * newest release of the major version named, and the SHA is the commit the tag points to (for
 * codeql-action's annotated tag, the commit it peels to, not the tag object: workflows need the
 * commit). To update one: `git ls-remote https://github.com/<repo> refs/tags/<version>^{}` (or
 * `refs/tags/<version>` for a lightweight tag), then test/unit/ci/workflow.test.ts.
 */
export interface PinnedAction {
  /** `owner/repo` or `owner/repo/path`. */
  readonly uses: string;
  /** Full 40-hex commit SHA. */
  readonly sha: string;
  /** The release tag that SHA is. */
  readonly version: string;
}

export const ACTIONS = {
  /** actions/checkout v7.0.1 (lightweight tag v7.0.1 = v7). */
  checkout: { uses: 'actions/checkout', sha: '3d3c42e5aac5ba805825da76410c181273ba90b1', version: 'v7.0.1' },
  /** actions/setup-node v7.0.0 (lightweight tag v7.0.0 = v7). */
  setupNode: {
    uses: 'actions/setup-node',
    sha: '820762786026740c76f36085b0efc47a31fe5020',
    version: 'v7.0.0',
  },
  /** aws-actions/configure-aws-credentials v6.2.3 (lightweight tag). */
  awsCredentials: {
    uses: 'aws-actions/configure-aws-credentials',
    sha: 'e6de054238d6b7531b4efff3b6587d9aade6a06c',
    version: 'v6.2.3',
  },
  /** github/codeql-action v4.36.2 (annotated tag 1a818fd5…, peeled to its commit). */
  uploadSarif: {
    uses: 'github/codeql-action/upload-sarif',
    sha: '8aad20d150bbac5944a9f9d289da16a4b0d87c1e',
    version: 'v4.36.2',
  },
} as const satisfies Record<string, PinnedAction>;

/** `owner/repo@<sha>`: what a step's `uses:` says (the version goes in a comment beside it). */
export function usesRef(action: PinnedAction): string {
  return `${action.uses}@${action.sha}`;
}
