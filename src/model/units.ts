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

/** A port number or an inclusive range `8000-8005`, each 1..65535. */
export function parsePortRange(s: string, what: string): number[] {
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
  if (end - start > 1000)
    throw new UnitError(`${what} range "${s}" is too large`, 'use ranges of at most 1000 ports');
  return Array.from({ length: end - start + 1 }, (_, i) => start + i);
}

export interface ParsedPort {
  target: number;
  published?: number;
  hostIp?: string;
  protocol: 'tcp' | 'udp';
}

/** Compose short port syntax: `[HOST_IP:][HOST[-RANGE]:]CONTAINER[-RANGE][/PROTOCOL]`. */
export function parseShortPort(spec: string | number): ParsedPort[] {
  let s = String(spec).trim();
  let protocol: 'tcp' | 'udp' = 'tcp';
  const slash = s.lastIndexOf('/');
  if (slash >= 0) {
    const proto = s.slice(slash + 1).toLowerCase();
    if (proto !== 'tcp' && proto !== 'udp') {
      throw new UnitError(`unsupported protocol "${proto}" in port "${s}"`, 'use /tcp or /udp');
    }
    protocol = proto;
    s = s.slice(0, slash);
  }
  let hostIp: string | undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(.*)$/.exec(s);
  if (v6) {
    hostIp = v6[1];
    s = v6[2]!;
  }
  const parts = s.split(':');
  if (parts.length > 3 || (v6 && parts.length > 2)) {
    throw new UnitError(
      `invalid port "${String(spec)}"`,
      'use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. "127.0.0.1:8080:80"',
    );
  }
  let container: string;
  let host: string | undefined;
  if (parts.length === 3) {
    [hostIp, host, container] = parts as [string, string, string];
  } else if (parts.length === 2) {
    [host, container] = parts as [string, string];
  } else container = parts[0]!;
  if (hostIp !== undefined && hostIp !== '' && !/^[0-9a-fA-F:.]+$/.test(hostIp)) {
    throw new UnitError(
      `invalid host IP "${hostIp}" in port "${String(spec)}"`,
      'write an IP address such as 127.0.0.1',
    );
  }
  const targets = parsePortRange(container, 'container port');
  const published = host === undefined || host === '' ? undefined : parsePortRange(host, 'host port');
  if (published && published.length !== targets.length && published.length !== 1) {
    throw new UnitError(
      `port ranges in "${String(spec)}" differ in length`,
      'give host and container ranges of the same length',
    );
  }
  return targets.map((target, i) => ({
    target,
    published: published
      ? published.length === 1 && targets.length > 1
        ? published[0]! + i
        : published[i]
      : undefined,
    hostIp: hostIp || undefined,
    protocol,
  }));
}
