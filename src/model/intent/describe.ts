import { isAbsolute, relative } from 'node:path';
import type { Decision, ServiceModel, TrafficEdge } from '../types.js';

/**
 * The decisions about one service as people read them, one line each:
 * `cache: private in the cloud (redis image); 6379 stays a local debug port`.
 */
export function describeService(
  s: ServiceModel,
  calls: readonly TrafficEdge[],
  projectDir: string,
): Decision[] {
  const out: Decision[] = [];
  const add = (topic: Decision['topic'], text: string, location = s.location) =>
    out.push({ service: s.name, topic, text, location });
  const i = s.intent;
  if (i.datastore) add('image', `${s.name}: ${i.datastore.reason}`);
  add('exposure', `${s.name}: ${i.exposureReason}`);
  for (const p of i.entryPorts) {
    const published = p.published !== undefined ? `, published ${p.published}` : '';
    const lb = p.protocol === 'tcp' || p.protocol === 'udp' ? 'network' : 'application';
    add(
      'protocol',
      `${s.name}: ${p.protocol.toUpperCase()} on ${p.port}${published} through the ${lb} load balancer (${p.reason})`,
    );
  }
  for (const e of calls.filter((c) => c.from === s.name)) {
    const found = e.evidence.map((ev) => ev.text).join(', ');
    add(
      'edge',
      `${e.from} → ${e.to} on ${e.ports.length > 0 ? e.ports.join(', ') : 'no known port'} (${found})`,
      e.evidence[0]?.location,
    );
  }
  if (!(i.datastore?.cloud === 'managed') && !s.x.localOnly) {
    const who =
      i.user.root === 'unknown' ? 'root unless the image says otherwise' : i.user.root ? 'root' : i.user.user;
    add('user', `${s.name} runs as ${who}: ${i.user.reason}`, i.user.location);
  }
  for (const sec of i.secrets) add('secret', `${s.name}: secret "${sec.name}" → ${sec.reason}`);
  const deployed = i.datastore?.cloud !== 'managed' && !s.x.localOnly;
  for (const env of deployed ? i.environment.filter((e) => e.handling !== 'plain') : []) {
    add('environment', `${s.name}: ${env.name} → ${env.reason}`, env.location);
  }
  for (const m of i.mounts.filter((x) => x.cloud !== 'refused')) {
    const from = m.source ? `${m.type === 'bind' ? shortPath(projectDir, m.source) : m.source}:` : '';
    add('mount', `${s.name}: ${from}${m.target} → ${m.cloud}: ${m.reason}`, m.location);
  }
  if (i.cloudImage.kind === 'derived') {
    add(
      'image',
      `${s.name}: cloud image = ${s.image} plus ${i.cloudImage.files.length} project file(s) (bind mounts cannot exist on Fargate)`,
    );
  }
  for (const r of i.refusals) add('mount', `${s.name}: refused — ${r.message}; fix: ${r.fix}`, r.location);
  return out;
}

/** A path inside the project relative to it (`./data`), anything else absolute. */
function shortPath(projectDir: string, path: string): string {
  const rel = relative(projectDir, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : `./${rel}`;
}
