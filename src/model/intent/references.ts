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
  /** The hostname as written (a service name or alias). */
  host: string;
  /** The port the reference names, or the default port of its URL scheme. */
  port?: number;
  /** Whether `port` was written (true) or is the scheme's default (false). */
  explicitPort: boolean;
  /** The text that names the host. */
  text: string;
  path: DocPath;
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
  mongodb: 27017,
  amqp: 5672,
  amqps: 5671,
  nats: 4222,
  kafka: 9092,
  memcached: 11211,
  ftp: 21,
  smtp: 25,
  ldap: 389,
  sqlserver: 1433,
  cassandra: 9042,
  grpc: 80,
};

/** Variable or flag names whose whole value is a hostname. */
const HOST_NAME =
  /(HOST|HOSTNAME|HOSTS|SERVER|SERVERS|ADDR|ADDRESS|ENDPOINT|BROKER|BROKERS|NODE|NODES|SERVICE)$/i;

const URL_RE = /([a-z][a-z0-9+.-]*):\/\/([^\s'"/?#,;]*(?:,[^\s'"/?#,;]+)*)/gi;
const HOST_PORT_RE = /(?<![\w.@/:-])([A-Za-z0-9][A-Za-z0-9_.-]*):(\d{1,5})(?![\w.:])/g;

function portOf(s: string | undefined): number | undefined {
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/** References to `hosts` in one value (`name` is the variable or flag name, when there is one). */
export function referencesIn(
  value: string,
  path: DocPath,
  hosts: ReadonlySet<string>,
  name?: string,
): HostReference[] {
  const out: HostReference[] = [];
  const add = (host: string, port: number | undefined, explicitPort: boolean, text: string) => {
    if (hosts.has(host)) out.push({ host, port, explicitPort, text: redactCredentials(text), path });
  };
  let rest = value;
  for (const m of value.matchAll(URL_RE)) {
    const scheme = m[1]!.toLowerCase().replace(/^jdbc:/, '');
    const authority = m[2]!.replace(/^.*@/, '');
    for (const hostPort of authority.split(',')) {
      const hp = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(hostPort);
      if (!hp) continue;
      const explicit = portOf(hp[2]);
      add(hp[1]!, explicit ?? SCHEME_PORTS[scheme.split('+')[0]!], explicit !== undefined, m[0]);
    }
    rest = rest.replace(m[0], ' ');
  }
  for (const m of rest.matchAll(HOST_PORT_RE)) {
    const port = portOf(m[2]);
    if (port !== undefined) add(m[1]!, port, true, m[0]);
  }
  if (name !== undefined && HOST_NAME.test(name.replace(/[-_]/g, '_'))) {
    for (const word of value.split(/[\s,;]+/)) add(word, undefined, false, `${name}=${value}`);
  }
  return dedupe(out);
}

/** References in a command: each argument, and `--flag=value` / `--flag value` pairs by flag name. */
export function referencesInCommand(
  args: readonly string[],
  basePath: DocPath,
  hosts: ReadonlySet<string>,
): HostReference[] {
  const out: HostReference[] = [];
  args.forEach((arg, i) => {
    const path = [...basePath, i];
    const flag = /^--?([A-Za-z][\w-]*)=(.*)$/.exec(arg);
    if (flag) out.push(...referencesIn(flag[2]!, path, hosts, flag[1]));
    else {
      const prev = /^--?([A-Za-z][\w-]*)$/.exec(args[i - 1] ?? '');
      out.push(...referencesIn(arg, path, hosts, prev?.[1]));
    }
  });
  return dedupe(out);
}

function dedupe(refs: HostReference[]): HostReference[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const key = `${r.host}:${r.port ?? ''}`;
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
  hosts: ReadonlySet<string>,
): (HostReference & { line: number; column: number })[] {
  const out: (HostReference & { line: number; column: number })[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*(#|\/\/|;)/.test(line)) return; // comments
    for (const r of referencesIn(line, [], hosts)) {
      const text = line.trim();
      out.push({
        ...r,
        text: text.length > 80 ? `${text.slice(0, 77)}...` : text,
        line: i + 1,
        column: Math.max(1, line.indexOf(r.host) + 1),
      });
    }
  });
  return out;
}
