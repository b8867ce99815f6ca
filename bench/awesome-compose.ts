/**
 * docker/awesome-compose through `config` and `synth`: every sample's compose file loaded into the
 * model, judged by the cloud gate, synthesized (cdk-nag on) and cfn-lint checked, with the model's
 * decisions summarized. Writes bench/results/awesome-compose.{json,md} and docs/awesome-compose.md.
 *
 * The samples are not copied into this repository: fetch the public repository and point at it.
 *
 * Run: npx tsx bench/awesome-compose.ts [PATH]   (PATH: a git directory or a checkout of
 *      docker/awesome-compose; default /work/.mirror/docker+awesome-compose/repo)
 * Target (issue #8): at least 35 of 39 samples synthesize or are refused only for what a security
 * reviewer would also refuse; no synthesized sample exposes a datastore or loses an edge.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { synthesize } from '../src/infra/synth.js';
import { runsAsRoot } from '../src/model/intent/index.js';
import { loadApp } from '../src/model/load.js';
import { ShipshapeError, formatLocation } from '../src/model/errors.js';
import { INTERNET, type AppModel } from '../src/model/types.js';
import { gateFindings } from '../src/model/gate.js';

const root = resolve(import.meta.dirname, '..');
const source = process.argv[2] ?? '/work/.mirror/docker+awesome-compose/repo';
const CFN_LINT = process.env.CFN_LINT ?? '/opt/shipshape-venv/bin/cfn-lint';

/** What a security reviewer refuses too: the outcome is right even though nothing is synthesized. */
const REVIEWER_REFUSES = new Set([
  'plain-secret',
  'root-user',
  'host-network',
  'added-capability',
  'privileged',
  'docker-socket',
  'host-path',
  'devices',
  'host-pid',
  'host-ipc',
]);

interface Row {
  sample: string;
  outcome: 'synthesized' | 'refused' | 'load error' | 'synth error';
  /** Gate rules (refused), or the error. */
  reasons: string[];
  public: string[];
  managed: string[];
  calls: string[];
  root: string[];
  cfnLintErrors: number;
  /** For a sample refused only for acknowledgeable settings: does it synthesize once they are acknowledged? */
  acknowledgedSynth?: 'synthesized' | string;
  exposesDatastore: boolean;
  reviewerWouldRefuse: boolean;
}

function checkout(src: string): string {
  if (existsSync(join(src, 'HEAD')) && !existsSync(join(src, '.git'))) {
    const dir = mkdtempSync(join(tmpdir(), 'awesome-compose-'));
    execFileSync('sh', ['-c', `git --git-dir="${src}" archive HEAD | tar -x -C "${dir}"`]);
    return dir;
  }
  return src;
}

function composeFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((d) => statSync(join(dir, d)).isDirectory() && !d.startsWith('.'))
    .flatMap((d) =>
      ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml']
        .map((f) => join(dir, d, f))
        .filter(existsSync)
        .slice(0, 1),
    )
    .sort();
}

function summarize(app: AppModel) {
  return {
    public: app.services
      .filter((s) => s.public)
      .map((s) => `${s.name} (${s.intent.entryPorts.map((p) => `${p.protocol} ${p.port}`).join(', ')})`),
    managed: app.services
      .filter((s) => s.intent.datastore?.cloud === 'managed')
      .map((s) => `${s.name} → ${s.intent.datastore!.managedBy}`),
    calls: app.traffic.edges
      .filter((e) => e.from !== INTERNET)
      .map((e) => `${e.from}→${e.to}:${e.ports.join(',') || '?'}`),
    root: app.services
      .filter((s) => !s.x.localOnly && s.intent.datastore?.cloud !== 'managed' && runsAsRoot(s.intent.user))
      .map((s) => s.name),
    exposesDatastore: app.services.some((s) => s.public && s.intent.datastore !== undefined),
  };
}

async function evaluate(file: string, out: string): Promise<{ row: Row; templates: string[] }> {
  const sample = relative(dirname(dirname(file)), dirname(file));
  const empty = { public: [], managed: [], calls: [], root: [], exposesDatastore: false };
  let app: AppModel;
  try {
    app = loadApp([file], { env: {} });
  } catch (e) {
    const msg = e instanceof ShipshapeError ? `${formatLocation(e.location)}: ${e.message}` : String(e);
    return {
      row: {
        sample,
        outcome: 'load error',
        reasons: [msg],
        ...empty,
        cfnLintErrors: 0,
        reviewerWouldRefuse: false,
      },
      templates: [],
    };
  }
  const summary = summarize(app);
  const open = gateFindings(app).filter((f) => f.kind === 'refusal' || !f.acknowledged);
  if (open.length > 0) {
    const rules = [...new Set(open.map((f) => `${f.rule} (${f.service})`))];
    const reviewer = open.every((f) => REVIEWER_REFUSES.has(f.rule));
    const row: Row = {
      sample,
      outcome: 'refused',
      reasons: rules,
      ...summary,
      cfnLintErrors: 0,
      reviewerWouldRefuse: reviewer,
    };
    if (!open.every((f) => f.kind === 'unsafe')) return { row, templates: [] };
    // What a user who accepts these settings gets: the same app with each rule acknowledged.
    const accepted = structuredClone(app);
    for (const rule of new Set(open.map((f) => f.rule))) {
      accepted.x.acknowledge.push({
        rule: rule as never,
        reason: 'evaluation: accepted to check the rest of the synthesis',
      });
    }
    try {
      const result = await synthesize(accepted, { outdir: join(out, `${sample}-acknowledged`) });
      row.acknowledgedSynth = 'synthesized';
      return { row, templates: result.stacks.map((st) => st.yamlFile) };
    } catch (e) {
      row.acknowledgedSynth = e instanceof ShipshapeError ? e.message : String(e);
      return { row, templates: [] };
    }
  }
  try {
    const result = await synthesize(app, { outdir: join(out, sample) });
    return {
      row: {
        sample,
        outcome: 'synthesized',
        reasons: [],
        ...summary,
        cfnLintErrors: 0,
        reviewerWouldRefuse: false,
      },
      templates: result.stacks.map((s) => s.yamlFile),
    };
  } catch (e) {
    const msg = e instanceof ShipshapeError ? e.message : String(e);
    return {
      row: {
        sample,
        outcome: 'synth error',
        reasons: [msg],
        ...summary,
        cfnLintErrors: 0,
        reviewerWouldRefuse: false,
      },
      templates: [],
    };
  }
}

function lint(rows: Row[], templates: Map<string, string[]>): void {
  for (const row of rows) {
    const files = templates.get(row.sample) ?? [];
    if (files.length === 0) continue;
    const r = spawnSync(CFN_LINT, ['--format', 'parseable', '--', ...files], { encoding: 'utf8' });
    row.cfnLintErrors = r.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l)).length;
  }
}

function markdown(rows: Row[], good: number): string {
  const cell = (xs: string[]) => (xs.length > 0 ? xs.join('; ') : '—').replace(/\|/g, '\\|');
  const lines = [
    '# docker/awesome-compose through shipshape',
    '',
    `Every sample of [docker/awesome-compose](https://github.com/docker/awesome-compose) loaded with \`shipshape config\`, judged by the cloud gate and synthesized (\`shipshape synth\`, cdk-nag on, cfn-lint checked). Generated by \`npx tsx bench/awesome-compose.ts\` on ${new Date().toISOString().slice(0, 10)}.`,
    '',
    `**${good} of ${rows.length}** samples synthesize or are refused only for what a security reviewer would also refuse. Synthesized samples exposing a datastore: ${rows.filter((r) => r.outcome === 'synthesized' && r.exposesDatastore).length}. cfn-lint errors: ${rows.reduce((n, r) => n + r.cfnLintErrors, 0)}.`,
    '',
    `With the refused settings acknowledged (as a user who accepts them would), ${rows.filter((r) => r.acknowledgedSynth === 'synthesized').length} more samples synthesize, cdk-nag and cfn-lint clean (last column).`,
    '',
    '| sample | outcome | reasons | public (cloud) | managed | calls | acknowledged |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.sample} | ${r.outcome} | ${cell(r.reasons)} | ${cell(r.public)} | ${cell(r.managed)} | ${cell(r.calls)} | ${r.acknowledgedSynth ?? '—'} |`,
    ),
    '',
    'Reasons: `root-user` — the image runs as root (set `user:` or acknowledge it); `plain-secret` — a credential written in the compose file (move it to `.env` or a compose secret); `docker-socket`, `host-path`, `devices`, `host-pid` — settings that cannot exist on Fargate; `unknown-call-port` — a call to a service with no known port. See [the production intent](app-model.md#production-intent) and [x-shipshape](x-shipshape.md).',
    '',
  ];
  return lines.join('\n');
}

const dir = checkout(source);
const out = mkdtempSync(join(tmpdir(), 'awesome-compose-synth-'));
try {
  const rows: Row[] = [];
  const templates = new Map<string, string[]>();
  for (const file of composeFiles(dir)) {
    const { row, templates: t } = await evaluate(file, out);
    rows.push(row);
    templates.set(row.sample, t);
    process.stderr.write(
      `${row.sample}: ${row.outcome}${row.reasons.length ? ` (${row.reasons.join('; ')})` : ''}\n`,
    );
  }
  lint(rows, templates);
  const good = rows.filter(
    (r) =>
      (r.outcome === 'synthesized' && !r.exposesDatastore && r.cfnLintErrors === 0) ||
      (r.outcome === 'refused' && r.reviewerWouldRefuse),
  ).length;
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(
    join(root, 'bench/results/awesome-compose.json'),
    `${JSON.stringify({ good, total: rows.length, rows }, null, 2)}\n`,
  );
  const md = markdown(rows, good);
  writeFileSync(join(root, 'bench/results/awesome-compose.md'), md);
  writeFileSync(join(root, 'docs/awesome-compose.md'), md);
  process.stdout.write(`${good} of ${rows.length} samples: synthesized, or refused as a reviewer would\n`);
} finally {
  rmSync(out, { recursive: true, force: true });
  if (dir !== source) rmSync(dir, { recursive: true, force: true });
}
