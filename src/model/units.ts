import { isIP } from 'node:net';

/**
 * Parsers for compose's scalar micro-syntaxes: durations (`1m30s`), byte sizes (`128M`),
 * port specs (`127.0.0.1:8080-8081:80-81/udp`). Each throws `UnitError` with a hint.
 */
export class UnitError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go-style duration as used by compose (`1m30s`, `500ms`); a bare number means seconds. */
export function parseDurationMs(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v * 1000;
  const s = String(v).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    matched += m[0].length;
  }
  if (matched === 0 || matched !== s.length) {
    throw new UnitError(`invalid duration "${s}"`, 'write a duration such as 30s, 1m30s or 500ms');
  }
  return Math.round(total);
}

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Docker byte size: `128M`, `1g`, `512mb`, or a number of bytes. */
export function parseBytes(v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt])?b?$/i.exec(String(v).trim());
  if (!m)
    throw new UnitError(`invalid size "${String(v)}"`, 'write a size such as 128M, 1G or a number of bytes');
  return Math.round(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

export function parseCpus(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || n <= 0)
    throw new UnitError(`invalid cpus "${String(v)}"`, 'write a positive number such as 0.5');
  return n;
}

/** A port number or an inclusive range `8000-8005` as [first, last], each 1..65535. */
export function parsePortBounds(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim());
  if (!m)
    throw new UnitError(
      `invalid ${what} "${s}"`,
      'a port is a number from 1 to 65535, or a range such as 8000-8005',
    );
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  for (const p of [start, end]) {
    if (p < 1 || p > 65535)
      throw new UnitError(`${what} ${p} is out of range`, 'a port is a number from 1 to 65535');
  }
  if (end < start)
    throw new UnitError(`invalid ${what} range "${s}"`, 'write the lower port first, e.g. 8000-8005');
  return [start, end];
}

/** A port number or an inclusive range `8000-8005`, each 1..65535, at most 1000 ports. */
export function parsePortRange(s: string, what: string): number[] {
  const [start, end] = parsePortBounds(s, what);
  if (end - start > 1000)
    throw new UnitError(`${what} range "${s}" is too large`, 'use ranges of at most 1000 ports');
  return Array.from({ length: end - start + 1 }, (_, i) => start + i);
}

/** One mapping of the short syntax, as compose keeps it: `published` may be a range `"8000-9000"`. */
export interface ShortPortSpec {
  target: number;
  /** Host port or range, as written (`"8080"`, `"8000-9000"`); undefined: any free port. */
  published?: string;
  hostIp?: string;
  protocol: string;
}

/** `8000` or `8000-9000` → [start, end]; compose's (Docker's `nat`) port rules, 0..65535. */
function natRange(s: string, what: string, spec: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) {
    throw new UnitError(
      `invalid ${what} "${s}" in port "${spec}"`,
      'a port is a number from 1 to 65535, or a range such as 8000-8005',
    );
  }
  const start = Number(m[1]);
  const end = m[2] === undefined ? start : Number(m[2]);
  for (const p of [start, end]) {
    if (p > 65535) throw new UnitError(`${what} ${p} is out of range`, 'a port is a number from 1 to 65535');
  }
  if (end < start)
    throw new UnitError(`invalid ${what} range "${s}"`, 'write the lower port first, e.g. 8000-8005');
  return [start, end];
}

/**
 * Compose short port syntax `[[HOST_IP:](HOST_PORT|RANGE):](PORT|RANGE)[/PROTOCOL]`
 * (Compose Specification 05-services.md#ports), split the way compose-go does (Docker's
 * `nat.ParsePortSpec`): the last two colon-separated parts are the ports, anything before is the
 * host IP, so `::1:6000:6000` and `[::1]:6001:6001` both bind ::1. Equal-length ranges map port to
 * port; one container port with a host range (`8000-9000:80`) is one mapping whose host port the
 * engine picks from the range.
 */
export function parseShortPortSpec(spec: string): ShortPortSpec[] {
  const parts = spec.split(':');
  const containerPart = parts[parts.length - 1]!;
  const hostPort = parts.length >= 2 ? parts[parts.length - 2]! : '';
  let hostIp = parts.length >= 3 ? parts.slice(0, -2).join(':') : '';
  const slash = containerPart.indexOf('/');
  const container = slash < 0 ? containerPart : containerPart.slice(0, slash);
  const protocol = (slash < 0 ? 'tcp' : containerPart.slice(slash + 1) || 'tcp').toLowerCase();
  if (container === '') {
    throw new UnitError(
      `no container port in "${spec}"`,
      'use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]',
    );
  }
  if (!['tcp', 'udp', 'sctp'].includes(protocol)) {
    throw new UnitError(`unsupported protocol "${protocol}" in port "${spec}"`, 'use /tcp or /udp');
  }
  if (hostIp.startsWith('[')) {
    const m = /^\[([^\]]*)\]$/.exec(hostIp);
    if (!m) throw new UnitError(`invalid host IP "${hostIp}" in port "${spec}"`, 'write [::1] or 127.0.0.1');
    hostIp = m[1]!;
  }
  if (hostIp !== '' && isIP(hostIp) === 0) {
    throw new UnitError(
      `invalid host IP "${hostIp}" in port "${spec}"`,
      'write an IP address such as 127.0.0.1 or ::1',
    );
  }
  const [start, end] = natRange(container, 'container port', spec);
  if (end - start >= 1000) {
    // Deliberately stricter than compose: each container port becomes a listener and a rule.
    throw new UnitError(
      `container port range "${container}" is too large`,
      'use ranges of at most 1000 ports',
    );
  }
  let host: [number, number] | undefined;
  if (hostPort !== '') {
    host = natRange(hostPort, 'host port', spec);
    if (end - start !== host[1] - host[0] && end !== start) {
      throw new UnitError(
        `port ranges in "${spec}" differ in length`,
        'give host and container ranges of the same length, or one container port',
      );
    }
  }
  const out: ShortPortSpec[] = [];
  for (let i = 0; i <= end - start; i++) {
    let published: string | undefined;
    if (host) {
      published = String(host[0] + i);
      if (start === end && host[0] !== host[1]) published += `-${host[1]}`;
    }
    out.push({ target: start + i, published, hostIp: hostIp || undefined, protocol });
  }
  return out;
}
