import { formatCost } from '../infra/cost.js';
import type { Finding } from '../policy/findings.js';
import { formatBytes } from '../support/output.js';
import type { ReportData } from './data.js';

/**
 * The report as one self-contained HTML page: inline CSS and SVG, no script, no font, no image
 * from anywhere, so it opens offline and from a CI artifact. A Content-Security-Policy forbids
 * every fetch, so nothing added later can load a resource by accident.
 */
const esc = (s: unknown) =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

function table(headers: string[], rows: string[][], cls = ''): string {
  if (rows.length === 0) return '<p class="muted">none</p>';
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#18181b;background:#fafafa}
header{background:#18181b;color:#fafafa;padding:16px 32px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#a1a1aa}
main{padding:8px 32px 48px;max-width:1200px}section{margin-top:28px}h2{font-size:18px;border-bottom:1px solid #e4e4e7;padding-bottom:4px}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0}th,td{border:1px solid #e4e4e7;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f5;font-weight:600}.muted{color:#71717a}.diagram{background:#fff;border:1px solid #e4e4e7;overflow:auto;padding:8px}
.sev{font-weight:600;border-radius:3px;padding:0 6px;font-size:12px}.high{background:#fee2e2;color:#991b1b}.medium{background:#fef3c7;color:#92400e}
.low{background:#e0f2fe;color:#075985}.suppressed{background:#f4f4f5;color:#52525b}code{font:12px ui-monospace,Menlo,monospace;white-space:nowrap}
.summary span{margin-right:14px}.total td{font-weight:600}ul.decisions{columns:2;font-size:13px}`;

export function renderReport(d: ReportData): string {
  const open = d.check.findings.filter((f) => !f.suppressed);
  const count = (s: string) => open.filter((f) => f.severity === s).length;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.app)} — shipshape report</title><style>${STYLE}</style></head>
<body><header><h1>${esc(d.app)}</h1>
<p>environment ${esc(d.environment)} · ${esc(d.region)} · generated ${esc(d.generatedAt)} by shipshape ${esc(d.version)}</p></header>
<main>
<section id="app"><h2>The app and its traffic</h2>
${table(
  ['service', 'image', 'cloud', 'runs as', 'replicas'],
  d.services.map((s) => [
    `<b>${esc(s.name)}</b>`,
    esc(s.image),
    esc(s.exposure),
    esc(s.user),
    String(s.replicas),
  ]),
  'services',
)}
<div class="diagram" id="diagram">${d.diagramSvg}</div></section>
<section id="exposure"><h2>Exposure: local and cloud</h2>
${table(
  ['service', 'local (shipshape up)', 'cloud', 'why'],
  d.exposure.map((r) => [esc(r.service), esc(r.local), esc(r.cloud), esc(r.why)]),
)}
<details><summary>Every decision the model made</summary><ul class="decisions">${d.decisions.map((t) => `<li>${esc(t)}</li>`).join('')}</ul></details></section>
<section id="images"><h2>Images before and after slim</h2>${images(d)}</section>
<section id="findings"><h2>Findings of shipshape check</h2>
<p class="summary"><span class="sev high">${count('high')} high</span><span class="sev medium">${count('medium')} medium</span><span class="sev low">${count('low')} low</span><span class="sev suppressed">${d.check.findings.length - open.length} suppressed</span></p>
${findingsByService(d.check.findings)}
${d.check.notes.length ? `<ul class="muted">${d.check.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}</section>
<section id="infrastructure"><h2>Infrastructure (${esc(d.environment)})</h2>${infrastructure(d)}</section>
<section id="deployment"><h2>Last deployment</h2>${deployment(d)}</section>
</main></body></html>
`;
}

function images(d: ReportData): string {
  const imgs = d.check.images;
  if (imgs.length === 0)
    return '<p class="muted">No image of this app is on the local engine yet (shipshape up builds them).</p>';
  const rows = [...new Set(imgs.map((i) => i.service))].map((service) => {
    const before = imgs.find((i) => i.service === service && i.kind === 'built');
    const after = imgs.find((i) => i.service === service && i.kind === 'slim');
    const kept = d.check.findings
      .filter(
        (f) =>
          f.service === service && f.message.startsWith('slim image') && /SS-IMAGE-00[123]/.test(f.ruleId),
      )
      .map((f) => esc(f.message.replace(/^slim image \S+: /, '')));
    const describe = (i?: typeof before) =>
      i
        ? `<code>${esc(i.ref)}</code><br>${formatBytes(i.size)}, ${i.layers} layer(s), ${i.files} files, user ${esc(i.user || 'root')}`
        : '<span class="muted">not built</span>';
    const ratio =
      before && after && after.size > 0 ? `${(before.size / after.size).toFixed(1)}× smaller` : '';
    return [
      `<b>${esc(service)}</b>`,
      describe(before),
      after
        ? `${describe(after)}${ratio ? `<br><b>${ratio}</b>` : ''}`
        : '<span class="muted">not slimmed (shipshape slim)</span>',
      after ? (kept.length ? kept.join('<br>') : 'no shell, package manager or setuid file') : '',
    ];
  });
  return table(['service', 'before', 'after slim', 'what the slim image kept'], rows);
}

function findingsByService(findings: Finding[]): string {
  if (findings.length === 0) return '<p>No findings.</p>';
  const groups = new Map<string, Finding[]>();
  for (const f of findings)
    groups.set(f.service ?? 'app-wide', [...(groups.get(f.service ?? 'app-wide') ?? []), f]);
  return [...groups]
    .map(
      ([service, list]) =>
        `<h3 class="service-findings" data-service="${esc(service)}">${esc(service)}</h3>${table(
          ['severity', 'rule', 'where', 'finding', 'fix'],
          list.map((f) => [
            f.suppressed
              ? '<span class="sev suppressed">suppressed</span>'
              : `<span class="sev ${f.severity}">${f.severity}</span>`,
            `<code>${esc(f.ruleId)}</code>`,
            `<code>${esc(`${f.location.file.split('/').slice(-2).join('/')}:${f.location.line}`)}</code>`,
            esc(f.message),
            esc(f.suppressed ? `acknowledged: ${f.suppressed.reason}` : f.fix),
          ]),
        )}`,
    )
    .join('\n');
}

function infrastructure(d: ReportData): string {
  const cloud = d.check.cloud;
  if (!cloud) return '<p class="muted">Not synthesized: see the notes under the findings.</p>';
  const stacks = table(
    ['stack', 'resources'],
    cloud.stacks.map((s) => [esc(s.name), String(s.resources)]),
  );
  const cost = cloud.cost;
  const lines = cost.lines.map((l) => [esc(l.item), esc(l.detail), `$${l.monthly.toFixed(2)}`]);
  lines.push(['<b>total</b>', '', `<b>$${cost.monthlyTotal.toFixed(2)}</b>`]);
  return `${stacks}<h3>Estimated monthly cost</h3>${table(['item', 'counted', 'per month'], lines, 'cost')}
<p class="muted">${esc(formatCost(cost))}. An estimate from the price table shipped with shipshape, not a bill: no free tier, no savings plans, traffic assumed small.</p>`;
}

function deployment(d: ReportData): string {
  const s = d.deployment;
  if (!s)
    return '<p class="muted">No deployment recorded for this environment (shipshape deploy records one).</p>';
  const why = s.error ? `<p class="muted">${esc(s.error)}</p>` : '';
  return `<p>${esc(s.status ?? 'deployed')} at ${esc(s.time)} <span class="muted">(${esc(s.file)})</span></p>${why}${table(
    ['stack', 'status'],
    s.stacks.map((x) => [esc(x.name), esc(x.status ?? '')]),
  )}${
    Object.keys(s.outputs).length
      ? table(
          ['output', 'value'],
          Object.entries(s.outputs).map(([k, v]) => [esc(k), `<code>${esc(v)}</code>`]),
        )
      : ''
  }`;
}
