import { redactCredentials } from './credentials.js';
import type { DocPath } from '../yaml-source.js';

/**
 * Finding other services' hostnames inside environment values and commands: URLs
 * (`postgres://app@db:5432/app`, `jdbc:mysql://db/app`, `mongodb://a:27017,b:27017`), `host:port`
 * pairs (`backend:9091`, `kafka:9092,kafka2:9092`), and whole values of host-like variables
 * (`REDIS_HOST=redis`, `--db-host=db`). Compose apps reach each other this way far more often than
 * through `depends_on`, so each match becomes a traffic edge (printed with where it was found).
 *
 * Written by hand: this is shipshape's own inference; no library reads compose values this way.
 */
export interface HostReference {
  /** The hostname, lowercased (a service name or alias: DNS names are case-insensitive). */
  host: string;
  /** The port the reference names, or the default port of its URL scheme. */
  port?: number;
  /** Whether `port` was written (true) or is the scheme's default (false). */
  explicitPort: boolean;
  /** The text that names the host. */
  text: string;
  path: DocPath;
  /** The reference says UDP (`udp://`, `syslog://`). */
  udp?: boolean;
}

/** The host names a caller can resolve (lowercase); a Set or a Map will do. */
export interface HostNames {
  has(host: string): boolean;
}

const SCHEME_PORTS: Record<string, number> = {
  http: 80,
  ws: 80,
  https: 443,
  wss: 443,
  postgres: 5432,
  postgresql: 5432,
  mysql: 3306,
  mariadb: 3306,
  redis: 6379,
  rediss: 6379,
  valkey: 6379,
  mongodb: 27017,
  amqp: 5672,
  amqps: 5671,
  nats: 4222,
  kafka: 9092,
  memcached: 11211,
  ftp: 21,
  smtp: 25,
  smtps: 465,
  ldap: 389,
  ldaps: 636,
  sqlserver: 1433,
  oracle: 1521,
  cassandra: 9042,
  cockroachdb: 26257,
  mqtt: 1883,
  mqtts: 8883,
  tcp: 0,
  udp: 0,
  bolt: 7687,
  neo4j: 7687,
  etcd: 2379,
  zookeeper: 2181,
  consul: 8500,
  grpc: 80,
  grpcs: 443,
  clickhouse: 9000,
  influxdb: 8086,
  statsd: 8125,
  syslog: 514,
};

/** Schemes whose traffic is UDP. */
const UDP_SCHEMES = new Set(['udp', 'statsd', 'syslog']);

/** Variable or flag names whose whole value is a hostname. */
const HOST_NAME =
  /(HOST|HOSTNAME|HOSTS|SERVER|SERVERS|ADDR|ADDRESS|ENDPOINT|BROKER|BROKERS|NODE|NODES|SERVICE)$/i;
/**
 * Names of settings that list hosts the service *accepts* or is known as, never hosts it calls
 * (`DJANGO_ALLOWED_HOSTS=web`, `CSRF_TRUSTED_ORIGINS=http://web`, `NO_PROXY=api`, its own
 * `HOSTNAME` or `VIRTUAL_HOST`): none of their values is a call.
 */
const NOT_A_CALL =
  /(^|_)(ALLOWED|TRUSTED|CORS|ORIGINS?|CSRF|INTERNAL_IPS|NO_PROXY|VIRTUAL|PUBLIC|EXTERNAL|LISTEN|BIND|SERVER_NAME|SITE_URL|BASE_URL|ROOT_URL|APP_URL|DOMAIN|REDIRECT|CALLBACK_URL)(_|$)|^HOSTNAME$|^no_proxy$/i;

/** Whether a variable (or flag) name says its value is not a call (see NOT_A_CALL). */
export function isNotACall(name: string): boolean {
  return NOT_A_CALL.test(name.replace(/-/g, '_'));
}

const URL_RE = /([a-z][a-z0-9+.-]*):\/\/([^\s'"/?#,;]*(?:,[^\s'"/?#,;]+)*)/gi;
/** gRPC name syntax: `dns:///svc:50051`, `dns://8.8.8.8/svc:50051`. */
const GRPC_DNS_RE = /\bdns:(?:\/\/[^/\s]*)?\/([A-Za-z0-9][A-Za-z0-9_.-]*)(?::(\d{1,5}))?/gi;
/** Oracle JDBC: `jdbc:oracle:thin:@host:1521:SID`, `@//host:1521/service`, `@host:1521/service`. */
const ORACLE_RE =
  /jdbc:oracle:(?:thin|oci|kprb)(?::[^@\s]*)?:?@(?:\/\/)?([A-Za-z0-9][A-Za-z0-9_.-]*)(?::(\d{1,5}))?/gi;
/** An Oracle (or any TNS) descriptor: `(HOST=db)(PORT=1521)`. */
const TNS_RE = /\(\s*HOST\s*=\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*\)(?:\s*\(\s*PORT\s*=\s*(\d{1,5})\s*\))?/gi;
const HOST_PORT_RE = /(?<![\w.@/:-])([A-Za-z0-9][A-Za-z0-9_.-]*):(\d{1,5})(?![\w.:])/g;

function portOf(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/**
 * References to `hosts` (lowercase names: DNS names are case-insensitive) in one value. `name` is
 * the variable or flag name, when there is one; `siblingPort` the port its `*_PORT` sibling sets
 * (`DATABASE_HOST=db` with `DATABASE_PORT=5433`).
 */
export function referencesIn(
  value: string,
  path: DocPath,
  hosts: HostNames,
  name?: string,
  siblingPort?: number,
): HostReference[] {
  if (name !== undefined && isNotACall(name)) return [];
  const out: HostReference[] = [];
  const add = (
    written: string,
    port: number | undefined,
    explicitPort: boolean,
    text: string,
    udp = false,
  ) => {
    const host = written.toLowerCase();
    if (hosts.has(host))
      out.push({ host, port, explicitPort, text: redactCredentials(text), path, ...(udp ? { udp } : {}) });
  };
  let rest = value;
  for (const re of [ORACLE_RE, TNS_RE]) {
    for (const m of value.matchAll(re)) {
      const explicit = portOf(m[2]);
      add(m[1]!, explicit ?? 1521, explicit !== undefined, m[0]);
      rest = rest.replace(m[0], ' ');
    }
  }
  for (const m of rest.matchAll(GRPC_DNS_RE)) {
    const explicit = portOf(m[2]);
    add(m[1]!, explicit ?? 443, explicit !== undefined, m[0]);
    rest = rest.replace(m[0], ' ');
  }
  for (const m of rest.matchAll(URL_RE)) {
    const scheme = m[1]!.toLowerCase().replace(/^jdbc:/, '');
    const authority = m[2]!.replace(/^.*@/, '');
    const base = scheme.split('+')[0]!;
    for (const hostPort of authority.split(',')) {
      const hp = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(hostPort);
      if (!hp) continue;
      const explicit = portOf(hp[2]) ?? (hp[2] === undefined ? siblingPort : undefined);
      const dflt = SCHEME_PORTS[base] || undefined;
      add(
        hp[1]!,
        explicit ?? dflt,
        explicit !== undefined,
        m[0],
        UDP_SCHEMES.has(base) || scheme.endsWith('+udp'),
      );
    }
    rest = rest.replace(m[0], ' ');
  }
  for (const m of rest.matchAll(HOST_PORT_RE)) {
    const port = portOf(m[2]);
    if (port !== undefined) add(m[1]!, port, true, m[0]);
  }
  if (name !== undefined && HOST_NAME.test(name.replace(/[-_]/g, '_'))) {
    for (const word of value.split(/[\s,;]+/))
      add(word, siblingPort, siblingPort !== undefined, `${name}=${value}`);
  }
  return dedupe(out);
}

/** The `*_PORT` sibling of a host variable or flag: `DATABASE_HOST` → `DATABASE_PORT`, `PGHOST` → `PGPORT`. */
export function siblingPortName(name: string): string | undefined {
  const m = /^(.*?)(HOSTNAME|HOST|SERVER|ADDRESS|ADDR)$/i.exec(name);
  if (!m) return undefined;
  const upper = m[2] === m[2]!.toUpperCase();
  return `${m[1]}${upper ? 'PORT' : 'port'}`;
}

/** References in a command: each argument, and `--flag=value` / `--flag value` pairs by flag name. */
export function referencesInCommand(
  args: readonly string[],
  basePath: DocPath,
  hosts: HostNames,
): HostReference[] {
  const out: HostReference[] = [];
  // Flag values by flag name, for `--db-host db --db-port 5433`.
  const flags = new Map<string, string>();
  args.forEach((arg, i) => {
    const eq = /^--?([A-Za-z][\w-]*)=(.*)$/.exec(arg);
    if (eq) flags.set(eq[1]!, eq[2]!);
    else if (/^--?[A-Za-z][\w-]*$/.test(args[i - 1] ?? '')) flags.set(args[i - 1]!.replace(/^-+/, ''), arg);
  });
  const sibling = (flag: string | undefined) => {
    const port = flag && siblingPortName(flag);
    return port ? portOf(flags.get(port)) : undefined;
  };
  args.forEach((arg, i) => {
    const path = [...basePath, i];
    const flag = /^--?([A-Za-z][\w-]*)=(.*)$/.exec(arg);
    if (flag) out.push(...referencesIn(flag[2]!, path, hosts, flag[1], sibling(flag[1])));
    else {
      const prev = /^--?([A-Za-z][\w-]*)$/.exec(args[i - 1] ?? '')?.[1];
      out.push(...referencesIn(arg, path, hosts, prev, sibling(prev)));
    }
  });
  return dedupe(out);
}

function dedupe(refs: HostReference[]): HostReference[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const key = `${r.host}:${r.port ?? ''}:${r.udp ? 'udp' : ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * References in a configuration file the service runs with (an nginx.conf bind-mounted or copied
 * into its image: `proxy_pass http://backend:8000;`), each with its line. Only URLs and
 * `host:port` pairs count here; a bare word in a config file says too little.
 */
export function referencesInText(
  text: string,
  hosts: HostNames,
): (HostReference & { line: number; column: number })[] {
  const out: (HostReference & { line: number; column: number })[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*(#|\/\/|;)/.test(line)) return; // comments
    for (const r of referencesIn(line, [], hosts)) {
      const text = redactCredentials(line.trim());
      out.push({
        ...r,
        text: text.length > 80 ? `${text.slice(0, 77)}...` : text,
        line: i + 1,
        column: Math.max(1, line.toLowerCase().indexOf(r.host) + 1),
      });
    }
  });
  return out;
}
