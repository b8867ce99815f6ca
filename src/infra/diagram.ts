import { MANAGED_ENGINES } from '../model/datastores/index.js';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { commonJsWorker } from '../support/worker.js';
import type { ElkExtendedEdge, ElkNode, ELK as ElkApi } from 'elkjs/lib/elk-api.js';
import { INTERNET, type AppModel } from '../model/types.js';
import { isDeployed, runsAsCloudContainer } from '../model/intent/placement.js';

export type DiagramNodeKind = 'internet' | 'load-balancer' | 'public' | 'private' | 'database' | 'storage';

export interface DiagramNode {
  id: string;
  label: string;
  kind: DiagramNodeKind;
}

export interface DiagramEdge {
  from: string;
  to: string;
  label: string;
}

export interface ArchitectureGraph {
  nodes: DiagramNode[];
  edges: DiagramEdge[];
}

export const LOAD_BALANCER_NODE = 'alb';
export const NETWORK_LOAD_BALANCER_NODE = 'nlb';
export const VOLUMES_NODE = 'efs';

/**
 * What the diagram shows, derived only from the model's decisions: internet → load balancer (ALB
 * for HTTP entries, NLB for TCP/UDP entries) → public services, and one edge per allowed caller →
 * callee (services and managed datastores). No other edge; local-only services are not deployed.
 */
/** The diagram's internet node (services are `svc:<name>`, so no service collides with it). */
const INTERNET_NODE = 'internet';

export function architectureGraph(app: AppModel): ArchitectureGraph {
  const nodes: DiagramNode[] = [];
  const edges: DiagramEdge[] = [];
  const deployed = app.services.filter(isDeployed);
  const entries = deployed.flatMap((s) => s.intent.entryPorts.map((p) => ({ service: s.name, ...p })));
  const http = entries.filter((p) => p.balancer === 'application');
  const other = entries.filter((p) => p.balancer === 'network');
  if (entries.length > 0) nodes.push({ id: INTERNET_NODE, label: 'internet', kind: 'internet' });
  if (http.length > 0) {
    nodes.push({ id: LOAD_BALANCER_NODE, label: 'load balancer (ALB)', kind: 'load-balancer' });
    edges.push({
      from: INTERNET_NODE,
      to: LOAD_BALANCER_NODE,
      // HTTPS when a certificate is given or one is made for the domain (see profile.ts).
      label: app.x.aws.certificateArn || (app.x.aws.domain && app.x.aws.hostedZone) ? '80→443, 443' : '80',
    });
    for (const p of http)
      edges.push({ from: LOAD_BALANCER_NODE, to: `svc:${p.service}`, label: String(p.port) });
  }
  if (other.length > 0) {
    nodes.push({ id: NETWORK_LOAD_BALANCER_NODE, label: 'load balancer (NLB)', kind: 'load-balancer' });
    const listen = [...new Set(other.map((p) => `${p.published ?? p.port}/${p.protocol}`))].join(', ');
    edges.push({ from: INTERNET_NODE, to: NETWORK_LOAD_BALANCER_NODE, label: listen });
    for (const p of other)
      edges.push({
        from: NETWORK_LOAD_BALANCER_NODE,
        to: `svc:${p.service}`,
        label: `${p.port}/${p.protocol}`,
      });
  }
  for (const s of deployed) {
    const managed = s.intent.placement === 'managed' ? s.intent.datastore?.managedBy : undefined;
    const kind: DiagramNodeKind = managed ? 'database' : s.public ? 'public' : 'private';
    const count = s.x.scaling ? `${s.x.scaling.min}–${s.x.scaling.max}` : String(s.replicas);
    nodes.push({
      id: `svc:${s.name}`,
      label: managed ? `${s.name} (${managed})` : `${s.name} (Fargate ×${count})`,
      kind,
    });
  }
  const ids = new Set(nodes.map((n) => n.id));
  const port = (to: string, ports: number[]) => {
    const d = deployed.find((s) => s.name === to)?.intent.datastore;
    // DynamoDB and S3 are reached over HTTPS with the task role, not on the stand-in's port.
    return d?.engine && MANAGED_ENGINES[d.engine].standIn ? 'HTTPS (IAM)' : ports.join(', ');
  };
  for (const e of app.traffic.edges.filter((x) => x.from !== INTERNET)) {
    if (ids.has(`svc:${e.from}`) && ids.has(`svc:${e.to}`))
      edges.push({ from: `svc:${e.from}`, to: `svc:${e.to}`, label: port(e.to, e.ports) });
  }
  const mounting = deployed.filter(
    (s) => runsAsCloudContainer(s) && s.intent.mounts.some((m) => m.cloud === 'volume'),
  );
  if (mounting.length > 0) {
    nodes.push({ id: VOLUMES_NODE, label: 'volumes (Amazon EFS)', kind: 'storage' });
    for (const s of mounting) edges.push({ from: `svc:${s.name}`, to: VOLUMES_NODE, label: '2049' });
  }
  return { nodes, edges };
}

const require = createRequire(import.meta.url);
const ELK_MODULE = 'elkjs/lib/elk.bundled.js';

/** V8's code cache of ELK, made by `npm run build` (scripts/build.mjs, `elkCodeCacheSource`). */
export function elkCodeCachePath(): string {
  return fileURLToPath(new URL('../../dist/precompiled/elk.v8cache', import.meta.url));
}

/**
 * ELK's module compiled through `vm.Script`, with V8's code cache when one is given. Loading ELK
 * and running its first layout cost ~0.6 s of CPU, mostly compiling its 1.6 MB of generated code;
 * the cache, made at build time after a sample layout so it holds the compiled functions a layout
 * runs, cuts that to ~0.25 s. V8 rejects a cache made by another V8 version or with other flags and
 * then compiles as usual. Serialized into the worker: it may use only its parameters.
 */
export function compileElk(
  file: string,
  cachedData: Buffer | undefined,
  load: (id: string) => unknown,
): { ELK: new () => ElkApi; script: import('node:vm').Script } {
  const fs = load('node:fs') as typeof import('node:fs');
  const vm = load('node:vm') as typeof import('node:vm');
  const path = load('node:path') as typeof import('node:path');
  const nodeModule = load('node:module') as typeof import('node:module');
  const script = new vm.Script(nodeModule.wrap(fs.readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
  });
  const module = { exports: {} as unknown };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run(module.exports, nodeModule.createRequire(file), module, file, path.dirname(file));
  return { ELK: module.exports as new () => ElkApi, script };
}

/**
 * ELK's layout runs in a worker thread: loading ELK and laying out a 100-service graph takes about
 * a second, which then overlaps CDK synthesis on the other core (synth starts the diagram first).
 * The worker gets the ELK graph and sends back the laid-out one; nothing else crosses.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
var __name = (f) => f; // some TypeScript runners (tsx/esbuild keepNames) wrap functions in __name()
const compile = (${compileElk.toString()}); // an expression: a bundler may rename the declaration
let cache;
try { cache = require('node:fs').readFileSync(workerData.codeCache); } catch { cache = undefined; }
const { ELK } = compile(workerData.elkModule, cache, require);
new ELK().layout(workerData.graph).then((laid) => parentPort.postMessage(laid), (e) => { throw e; });
`;

/** The code cache for `elkCodeCachePath()`: ELK compiled, run on a sample graph, then cached. */
export async function elkCodeCacheSource(): Promise<Buffer> {
  const { ELK, script } = compileElk(require.resolve(ELK_MODULE), undefined, require);
  const sample: ArchitectureGraph = {
    nodes: [
      { id: 'internet', label: 'internet', kind: 'internet' },
      { id: 'lb', label: 'application load balancer', kind: 'load-balancer' },
      { id: 'web', label: 'web', kind: 'public' },
      { id: 'api', label: 'api', kind: 'private' },
      { id: 'db', label: 'Amazon RDS for PostgreSQL', kind: 'database' },
    ],
    edges: [
      { from: 'internet', to: 'lb', label: 'HTTP 80' },
      { from: 'lb', to: 'web', label: '8080' },
      { from: 'web', to: 'api', label: '5000' },
      { from: 'api', to: 'db', label: '5432' },
    ],
  };
  await new ELK().layout(elkGraph(sample));
  return script.createCachedData();
}

function layoutInWorker(graph: ElkNode): Promise<ElkNode> {
  const workerData = { elkModule: require.resolve(ELK_MODULE), codeCache: elkCodeCachePath(), graph };
  // unref: never keeps the process alive, e.g. after synth failed its policy gate
  return commonJsWorker<ElkNode>(WORKER_SOURCE, workerData, 'layout', { unref: true });
}

function layoutInProcess(graph: ElkNode): Promise<ElkNode> {
  const ELK = require(ELK_MODULE) as new () => ElkApi; // CommonJS: the export is the constructor
  return new ELK().layout(graph);
}

const STYLE: Record<DiagramNodeKind, { fill: string; stroke: string }> = {
  internet: { fill: '#f4f4f5', stroke: '#71717a' },
  'load-balancer': { fill: '#ede9fe', stroke: '#7c3aed' },
  public: { fill: '#dbeafe', stroke: '#2563eb' },
  private: { fill: '#dcfce7', stroke: '#16a34a' },
  database: { fill: '#fef3c7', stroke: '#d97706' },
  storage: { fill: '#fee2e2', stroke: '#dc2626' },
};

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The graph as ELK's input: nodes sized for their labels, laid out left to right, orthogonal edges. */
function elkGraph(graph: ArchitectureGraph): ElkNode {
  const charWidth = 7.2;
  return {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.spacing.nodeNode': '30',
      'elk.layered.spacing.nodeNodeBetweenLayers': '70',
      'elk.padding': '[top=60,left=20,bottom=20,right=20]',
    },
    children: graph.nodes.map((n) => ({
      id: n.id,
      width: Math.max(110, n.label.length * charWidth + 24),
      height: 40,
    })),
    edges: graph.edges.map((e, i): ElkExtendedEdge => ({
      id: `e${i}`,
      sources: [e.from],
      targets: [e.to],
      labels: [{ text: e.label, width: e.label.length * 6.5 + 6, height: 14 }],
    })),
  };
}

/** Lay the graph out left to right with ELK's layered algorithm and render it as SVG. */
export async function renderDiagram(graph: ArchitectureGraph, title: string): Promise<string> {
  const root = elkGraph(graph);
  const laid = await layoutInWorker(root).catch(() => layoutInProcess(root));
  const width = Math.ceil(laid.width ?? 400);
  const height = Math.ceil(laid.height ?? 200);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escape(title)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#52525b"/></marker></defs>',
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="20" y="28" font-size="15" font-weight="bold">${escape(title)}</text>`,
  ];
  for (const [i, e] of (laid.edges ?? []).entries()) {
    const edge = graph.edges[i]!;
    for (const section of (e as ElkExtendedEdge).sections ?? []) {
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
      out.push(
        `<polyline class="edge" data-from="${escape(edge.from)}" data-to="${escape(edge.to)}" points="${points.map((p) => `${p.x},${p.y}`).join(' ')}" fill="none" stroke="#52525b" stroke-width="1.5" marker-end="url(#arrow)"/>`,
      );
    }
    for (const label of (e as ElkExtendedEdge).labels ?? []) {
      out.push(
        `<text x="${(label.x ?? 0) + 3}" y="${(label.y ?? 0) + 11}" fill="#3f3f46" font-size="11">${escape(label.text ?? '')}</text>`,
      );
    }
  }
  for (const n of laid.children ?? []) {
    const node = byId.get(n.id)!;
    const style = STYLE[node.kind];
    const x = n.x ?? 0;
    const y = n.y ?? 0;
    out.push(
      `<g class="node" data-id="${escape(node.id)}" data-kind="${node.kind}">`,
      `<rect x="${x}" y="${y}" width="${n.width}" height="${n.height}" rx="${node.kind === 'database' ? 14 : 6}" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"/>`,
      `<text x="${x + (n.width ?? 0) / 2}" y="${y + (n.height ?? 0) / 2 + 4}" text-anchor="middle">${escape(node.label)}</text>`,
      '</g>',
    );
  }
  const kinds = [...new Set(graph.nodes.map((n) => n.kind))];
  const legendLabel: Record<DiagramNodeKind, string> = {
    internet: 'internet',
    'load-balancer': 'load balancer',
    public: 'public service',
    private: 'private service',
    database: 'managed datastore',
    storage: 'persistent volumes',
  };
  let lx = 20;
  for (const kind of kinds) {
    const style = STYLE[kind];
    out.push(
      `<rect x="${lx}" y="36" width="10" height="10" fill="${style.fill}" stroke="${style.stroke}"/>`,
      `<text x="${lx + 14}" y="45" font-size="10" fill="#3f3f46">${legendLabel[kind]}</text>`,
    );
    lx += 24 + legendLabel[kind].length * 6;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
