import { DEFAULT_PLATFORM, LOCK_FILE, lockedFacts, type ImageLock } from '../image-lock.js';
import type { NormalizedService } from '../normalize.js';
import type {
  Diagnostic,
  HealthCheckDecision,
  ImageFacts,
  ImageFactsDecision,
  TaskPlatform,
} from '../types.js';

/**
 * What an image-only service's image says about itself (USER, EXPOSE, HEALTHCHECK, architecture),
 * taken from shipshape.lock: the model never reads a registry (`loadApp` stays offline); the
 * commands that do (src/images/) write the lock first. Without an entry, the facts are assumed,
 * and the reason says so.
 */

/** The platform an image is read and run for: compose `platform:`, else linux/amd64. */
export function requestedPlatform(s: Pick<NormalizedService, 'platform'>): string {
  return s.platform ?? DEFAULT_PLATFORM;
}

const shortDigest = (d: string) => `${d.slice(0, 19)}…`;

/** `redis:7 (sha256:1a2b…, linux/amd64, shipshape.lock)`: where a fact comes from, for reasons. */
export function factsOrigin(f: ImageFacts): string {
  const pin = f.digest ? shortDigest(f.digest) : `engine-only image ${shortDigest(f.config)}`;
  return `${f.image} (${pin}, ${f.os}/${f.architecture}, ${LOCK_FILE})`;
}

export const DEFAULT_PLATFORM_REASON = 'the default platform, linux/amd64';

/** `image config sha256:1a2b…, shipshape.lock`: short, for the reasons after the first. */
export function factsSource(f: ImageFacts): string {
  return `image config ${shortDigest(f.config)}, ${LOCK_FILE}`;
}

/** The facts of an image-only service's image, or why they are assumed; undefined for built services. */
export function decideImageFacts(
  s: Pick<NormalizedService, 'image' | 'build' | 'platform'>,
  lock: ImageLock,
): ImageFactsDecision | undefined {
  if (s.build || !s.image) return undefined;
  const platform = requestedPlatform(s);
  const facts = lockedFacts(lock, s.image, platform);
  if (facts) {
    const ports = [...facts.ports, ...facts.udpPorts.map((p) => `${p}/udp`)];
    return {
      facts,
      reason: `image config of ${factsOrigin(facts)}: user ${facts.user || 'root (no USER)'}, listens on ${ports.join(', ') || 'no EXPOSEd port'}${facts.healthcheck ? ', has a HEALTHCHECK' : ''}`,
    };
  }
  return {
    reason: `image facts assumed: ${s.image} (${platform}) is not in ${LOCK_FILE}; \`shipshape config --update-lock\` reads its config from its registry`,
  };
}

const ARCHITECTURES: Record<string, TaskPlatform['architecture']> = {
  amd64: 'amd64',
  x86_64: 'amd64',
  arm64: 'arm64',
  aarch64: 'arm64',
};

/**
 * The task's OS and CPU architecture: what compose `platform:` asks for, else the architecture of
 * the image shipshape.lock read (an image built for arm64 only runs on arm64), else linux/amd64.
 */
export function decidePlatform(
  s: Pick<NormalizedService, 'name' | 'platform' | 'location'>,
  facts: ImageFacts | undefined,
  warnings: Diagnostic[],
): TaskPlatform {
  if (s.platform !== undefined) {
    const arch = ARCHITECTURES[s.platform.split('/')[1] ?? ''];
    if (s.platform.startsWith('linux/') && arch) {
      return { os: 'linux', architecture: arch, reason: `compose sets platform: ${s.platform}` };
    }
    warnings.push({
      severity: 'warning',
      message: `${s.name}: platform ${s.platform} cannot run on Fargate (linux/amd64 and linux/arm64 only); the task runs linux/amd64`,
      path: `services.${s.name}.platform`,
      location: s.location,
      hint: 'set `platform: linux/amd64` or `platform: linux/arm64`',
    });
    return { os: 'linux', architecture: 'amd64', reason: `platform ${s.platform} is not a Fargate platform` };
  }
  const arch = facts ? ARCHITECTURES[facts.architecture] : undefined;
  if (facts && arch) {
    return {
      os: 'linux',
      architecture: arch,
      reason: `the image is built for ${facts.os}/${facts.architecture} (${factsSource(facts)})`,
    };
  }
  return { os: 'linux', architecture: 'amd64', reason: DEFAULT_PLATFORM_REASON };
}

/** The cloud task's health check: compose's `healthcheck:`, else the image's own HEALTHCHECK (ECS does not run it by itself). */
export function decideHealthcheck(
  s: Pick<NormalizedService, 'healthcheck'>,
  facts: ImageFacts | undefined,
): HealthCheckDecision | undefined {
  if (s.healthcheck) {
    return {
      check: s.healthcheck,
      source: 'compose',
      reason: s.healthcheck.disabled ? 'compose disables the health check' : 'compose `healthcheck:`',
    };
  }
  if (facts?.healthcheck && !facts.healthcheck.disabled) {
    return {
      check: facts.healthcheck,
      source: 'image',
      reason: `the image's own HEALTHCHECK (${factsSource(facts)}); ECS runs only what the task definition states, so it is stated there`,
    };
  }
  return undefined;
}
