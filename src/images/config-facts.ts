import type { HealthCheck, ImageFacts } from '../model/types.js';

/**
 * An OCI image config (the JSON blob a manifest's `config` names, or the engine's inspect, which
 * has the same `Config` fields) as shipshape's image facts. Pure, so the registry and the engine
 * give the same facts for the same image.
 */

export interface ImageConfigJson {
  architecture?: string;
  os?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, unknown> | null;
    Healthcheck?: {
      Test?: string[] | null;
      Interval?: number;
      Timeout?: number;
      StartPeriod?: number;
      Retries?: number;
    } | null;
    Entrypoint?: string[] | string | null;
    Cmd?: string[] | string | null;
    Env?: string[] | null;
    WorkingDir?: string;
  } | null;
}

const NS_PER_MS = 1e6;

/** Docker's HEALTHCHECK defaults apply to fields left at 0 (interval 30 s, timeout 30 s, 3 retries). */
export function imageHealthcheck(
  h: NonNullable<ImageConfigJson['config']>['Healthcheck'],
): HealthCheck | undefined {
  const test = h?.Test ?? [];
  if (test.length === 0) return undefined;
  const ms = (ns: number | undefined, fallback: number) => (ns ? Math.round(ns / NS_PER_MS) : fallback);
  return {
    test: [...test],
    intervalMs: ms(h?.Interval, 30_000),
    timeoutMs: ms(h?.Timeout, 30_000),
    retries: h?.Retries || 3,
    startPeriodMs: ms(h?.StartPeriod, 0),
    disabled: test[0] === 'NONE',
  };
}

const list = (v: string[] | string | null | undefined): string[] | undefined =>
  v == null ? undefined : Array.isArray(v) ? [...v] : [v];

/** The facts of one image config. */
export function factsFromConfig(
  json: ImageConfigJson,
  origin: Pick<ImageFacts, 'image' | 'platform' | 'digest' | 'config' | 'from'>,
): ImageFacts {
  const c = json.config ?? {};
  const exposed = Object.keys(c.ExposedPorts ?? {});
  const ports = (proto: string) =>
    exposed
      .filter((k) => (k.split('/')[1] ?? 'tcp') === proto)
      .map((k) => Number.parseInt(k, 10))
      .filter((p) => Number.isInteger(p) && p > 0 && p < 65536)
      .sort((a, b) => a - b);
  const healthcheck = imageHealthcheck(c.Healthcheck);
  const entrypoint = list(c.Entrypoint);
  const cmd = list(c.Cmd);
  return {
    image: origin.image,
    platform: origin.platform,
    ...(origin.digest ? { digest: origin.digest } : {}),
    config: origin.config,
    from: origin.from,
    user: c.User ?? '',
    ports: ports('tcp'),
    udpPorts: ports('udp'),
    ...(healthcheck ? { healthcheck } : {}),
    ...(entrypoint ? { entrypoint } : {}),
    ...(cmd ? { cmd } : {}),
    ...(c.WorkingDir ? { workingDir: c.WorkingDir } : {}),
    env: [...(c.Env ?? [])],
    architecture: json.architecture ?? 'unknown',
    os: json.os ?? 'unknown',
  };
}
