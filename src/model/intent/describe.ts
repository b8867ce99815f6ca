import { isAbsolute, relative } from 'node:path';
import type {
  ConnectionValue,
  DatastoreConnection,
  DatastoreIntent,
  Decision,
  ServiceModel,
  TableSpec,
  TrafficEdge,
} from '../types.js';
import { runsAsCloudContainer } from './placement.js';

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
  add('placement', `${s.name}: ${i.placementReason}`);
  if (i.datastore) add('image', `${s.name}: ${i.datastore.reason}`);
  if (i.imageFacts && i.placement !== 'managed' && i.placement !== 'local-only')
    add('image', `${s.name}: ${i.imageFacts.reason}`);
  if (i.placement === 'managed' && i.datastore) add('datastore', `${s.name}: ${managedDetails(i.datastore)}`);
  add('exposure', `${s.name}: ${i.exposureReason}`);
  for (const p of i.entryPorts) {
    const published = p.published !== undefined ? `, published ${p.published}` : '';
    add(
      'protocol',
      `${s.name}: ${p.protocol.toUpperCase()} on ${p.port}${published} through the ${p.balancer} load balancer (${p.reason})`,
    );
  }
  for (const e of calls.filter((c) => c.from === s.name)) {
    const found = e.evidence.map((ev) => ev.text).join(', ');
    add(
      'edge',
      `${e.from} → ${e.to} on ${e.ports.length > 0 ? e.ports.join(', ') : 'no known port'} (${found}${e.portsReason ? `; ${e.portsReason}` : ''})`,
      e.evidence[0]?.location,
    );
  }
  for (const c of i.connections) add('datastore', `${s.name} → ${c.datastore}: ${connectionDetails(c)}`);
  const container = runsAsCloudContainer(s);
  if (container) {
    const who =
      i.user.root === 'unknown' ? 'root unless the image says otherwise' : i.user.root ? 'root' : i.user.user;
    add('user', `${s.name} runs as ${who}: ${i.user.reason}`, i.user.location);
  }
  for (const sec of i.secrets) add('secret', `${s.name}: secret "${sec.name}" → ${sec.reason}`);
  for (const env of container ? i.environment.filter((e) => e.handling !== 'plain') : []) {
    const cloud = env.cloud ? ` = ${showValue(env.cloud)}` : '';
    add('environment', `${s.name}: ${env.name} → ${env.reason}${cloud}`, env.location);
  }
  for (const m of i.mounts.filter((x) => x.cloud !== 'refused')) {
    const from = m.source ? `${m.type === 'bind' ? shortPath(projectDir, m.source) : m.source}:` : '';
    add('mount', `${s.name}: ${from}${m.target} → ${m.cloud}: ${m.reason}`, m.location);
  }
  if (container && (i.platform.architecture !== 'amd64' || s.platform !== undefined))
    add(
      'image',
      `${s.name}: the task runs on ${i.platform.os}/${i.platform.architecture}: ${i.platform.reason}`,
    );
  if (container && i.healthcheck?.source === 'image')
    add('image', `${s.name}: health check ${i.healthcheck.check.test.join(' ')}: ${i.healthcheck.reason}`);
  if (container && i.cloudImage.pinned)
    add('image', `${s.name}: the cloud runs ${i.cloudImage.pinned} (pinned in shipshape.lock)`);
  if (i.cloudImage.kind === 'derived') {
    add(
      'image',
      `${s.name}: cloud image = ${s.image} plus ${i.cloudImage.files.length} project file(s) (bind mounts cannot exist on Fargate)`,
    );
  }
  for (const r of i.refusals) add('mount', `${s.name}: refused — ${r.message}; fix: ${r.fix}`, r.location);
  return out;
}

/** `['rediss://', {field: 'host'}, ':6379']` → `rediss://<host>:6379`. */
export function showValue(value: ConnectionValue): string {
  return value
    .map((p) => (typeof p === 'string' ? p : p.name ? `<${p.field} ${p.name}>` : `<${p.field}>`))
    .join('');
}

function managedDetails(d: DatastoreIntent): string {
  const parts: string[] = [];
  const c = d.credentials;
  if (c?.username) parts.push(`user ${c.username}${c.usernameReason ? ` (${c.usernameReason})` : ''}`);
  if (c?.database) parts.push(`database ${c.database}`);
  const cache = d.engine === 'elasticache-redis' || d.engine === 'elasticache-valkey';
  if (d.engine === 'elasticache-memcached')
    parts.push('no password (ElastiCache memcached has none): TLS, and only its callers may connect');
  else if (d.engine && d.engine !== 'dynamodb' && d.engine !== 's3') {
    parts.push(
      `${cache ? 'AUTH token' : 'password'} generated into Secrets Manager${c?.passwordSecret ? ` (compose secret "${c.passwordSecret}" carries it to callers)` : ''}`,
    );
  }
  if (d.tables) {
    const key = (t: TableSpec) =>
      `${t.partitionKey.name}${t.sortKey ? `, ${t.sortKey.name}` : ''}${t.ttlAttribute ? `; ttl ${t.ttlAttribute}` : ''}`;
    parts.push(`tables ${d.tables.map((t) => `${t.name} (${key(t)})`).join(', ')}`);
  }
  if (d.buckets) parts.push(`buckets ${d.buckets.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : (d.managedBy ?? '');
}

function connectionDetails(c: DatastoreConnection): string {
  const vars = c.variables.map((v) => `${v.name}=${showValue(v.value)}`).join(', ');
  const actions = c.actions.length > 0 ? `; task role may ${c.actions.join(', ')} on its resources only` : '';
  return `${vars || 'no added variables'}${actions}`;
}

/** A path inside the project relative to it (`./data`), anything else absolute. */
function shortPath(projectDir: string, path: string): string {
  const rel = relative(projectDir, path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : `./${rel}`;
}
