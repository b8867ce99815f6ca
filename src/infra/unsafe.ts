import { ExitCode, ShipshapeError } from '../model/errors.js';
import type { Acknowledgement, AppModel, Diagnostic, ServiceModel, UnsafeRule } from '../model/types.js';
import { dockerfileUser } from './image-user.js';

/**
 * The unsafe-settings gate: compose settings that would weaken the deployed app. Each finding fails
 * synth unless the user acknowledges its rule in `x-shipshape.acknowledge` (on the app or the
 * service) with a reason.
 */
export type { UnsafeRule };

export interface UnsafeFinding {
  rule: UnsafeRule;
  service: string;
  message: string;
  /** Path in the compose document, e.g. `services.api.environment.DB_PASSWORD`. */
  path: string;
  location: ServiceModel['location'];
  /** The acknowledgement that accepts this finding, when there is one. */
  acknowledged?: Acknowledgement;
}

/** Environment variable names that usually hold credentials. */
const SENSITIVE_NAME =
  /(PASSWORD|PASSWD|PASS$|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|AUTH)/i;

/** Whether an environment variable looks like it holds a credential (by its name). */
export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name);
}

/** A URL with a password in it, e.g. `postgres://app:s3cret@db:5432/app` or `redis://:s3cret@cache`. */
const CREDENTIAL_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^/\s@]+@/i;

/** Whether a variable looks like it holds a credential: by its name, or a URL with a password. */
export function isSensitive(name: string, value: string): boolean {
  return isSensitiveName(name) || CREDENTIAL_URL.test(value);
}

/** Sensitive-looking variables of a service: these become Secrets Manager references. */
export function sensitiveEnvironment(service: ServiceModel): string[] {
  return Object.entries(service.environment)
    .filter(([name, value]) => isSensitive(name, value))
    .map(([name]) => name)
    .sort();
}

function isRootUser(user: string | undefined): boolean {
  if (user === undefined) return false;
  const name = user.split(':')[0];
  return name === 'root' || name === '0';
}

/** Every unsafe setting in the app, acknowledged or not. */
export function findUnsafeSettings(app: AppModel): UnsafeFinding[] {
  const findings: UnsafeFinding[] = [];
  for (const s of app.services) {
    const add = (rule: UnsafeRule, path: string, message: string) => {
      const acknowledged = [...s.x.acknowledge, ...app.x.acknowledge].find((a) => a.rule === rule);
      findings.push({ rule, service: s.name, path, message, location: s.location, acknowledged });
    };
    if (s.privileged) {
      add(
        'privileged',
        `services.${s.name}.privileged`,
        'privileged containers cannot run on Fargate safely',
      );
    }
    if (s.networkMode === 'host') {
      add('host-network', `services.${s.name}.network_mode`, 'host networking bypasses the security groups');
    }
    for (const name of sensitiveEnvironment(s)) {
      if (s.environment[name] === '') continue;
      add(
        'plain-secret',
        `services.${s.name}.environment.${name}`,
        `"${name}" looks like a credential written in plain text`,
      );
    }
    if (isRootUser(s.user)) {
      add('root-user', `services.${s.name}.user`, `the container runs as root (user: ${s.user})`);
    } else if (s.user === undefined && dockerfileUser(s) === 'root') {
      add(
        'root-user',
        `services.${s.name}.build`,
        `the image runs as root: ${s.build!.dockerfile} sets no USER in its final stage`,
      );
    }
    for (const cap of s.capAdd) {
      add('added-capability', `services.${s.name}.cap_add`, `adds Linux capability ${cap}`);
    }
  }
  return findings;
}

const FIX: Record<UnsafeRule, string> = {
  privileged: 'remove `privileged: true`',
  'host-network': 'remove `network_mode: host` and publish ports instead',
  'plain-secret': 'move the value to a compose `secrets:` entry (it becomes a Secrets Manager secret)',
  'root-user': 'run as a non-root user (`user: "1000"` or USER in the Dockerfile)',
  'added-capability': 'remove the `cap_add` entry',
};

/**
 * Throw a ShipshapeError (exit 2) listing every unacknowledged finding with file:line and fix;
 * return the acknowledged ones so callers can report them.
 */
export function assertNoUnsafeSettings(app: AppModel): UnsafeFinding[] {
  const findings = findUnsafeSettings(app);
  const open = findings.filter((f) => !f.acknowledged);
  if (open.length === 0) return findings;
  const diagnostics: Diagnostic[] = open.map((f) => ({
    severity: 'error',
    message: `${f.message} [${f.rule}]`,
    path: f.path,
    location: f.location,
    hint: `${FIX[f.rule]}, or accept it in x-shipshape: acknowledge: [{ rule: ${f.rule}, reason: "why" }]`,
  }));
  const [first, ...more] = diagnostics;
  throw new ShipshapeError(`${open.length} unsafe setting(s), refusing to synthesize — ${first!.message}`, {
    exitCode: ExitCode.usage,
    path: first!.path,
    location: first!.location,
    hint: first!.hint,
    more,
  });
}
