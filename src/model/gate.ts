import { ExitCode, ShipshapeError } from './errors.js';
import { cloudContainers, isDeployed, runsAsRoot } from './intent/index.js';
import { composeLocator } from './locate.js';
import { formatPath, type DocPath } from './yaml-source.js';
import type {
  Acknowledgement,
  AppModel,
  Diagnostic,
  RefusalRule,
  SourceLocation,
  UnsafeRule,
} from './types.js';

/**
 * The cloud gate: what would weaken or break the deployed app, judged on the model's decisions
 * (never re-derived here). Two kinds:
 * - unsafe settings (privileged, host network, a credential written in the compose file, root,
 *   added capabilities): refused unless acknowledged in `x-shipshape.acknowledge` with a reason;
 * - refusals (Docker socket, host paths, host namespaces, devices, secret targets): settings that
 *   cannot exist on Fargate; the fix is to remove them or keep the service local.
 * `synth` and `deploy` stop on any open finding, listing them all at once; `check` reports them.
 */
export interface GateFinding {
  rule: UnsafeRule | RefusalRule;
  kind: 'unsafe' | 'refusal';
  service: string;
  message: string;
  /** Compose document path, e.g. `services.api.environment.DB_PASSWORD`. */
  path: string;
  location?: SourceLocation;
  /** The exact compose or x-shipshape change that fixes it. */
  fix: string;
  /** The acknowledgement that accepts an unsafe setting, when there is one. */
  acknowledged?: Acknowledgement;
}

const FIX: Record<UnsafeRule, string> = {
  privileged: 'remove `privileged: true`',
  'host-network': 'remove `network_mode: host` and publish ports instead',
  'plain-secret': 'move the value to `.env` (`KEY: ${KEY}`) or a compose `secrets:` entry',
  'root-user':
    'run as a non-root user (`user: "1000"` in compose, or USER in the Dockerfile stage that is built)',
  'added-capability': 'remove the `cap_add` entry',
};

/** Every gate finding of the app, acknowledged or not. */
export function gateFindings(app: AppModel): GateFinding[] {
  const findings: GateFinding[] = [];
  // Each finding is located at its compose key, here, once: check and synth print the same place.
  const locate = composeLocator(app);
  for (const s of cloudContainers(app)) {
    const unsafe = (rule: UnsafeRule, key: DocPath, message: string, location?: SourceLocation) => {
      const path: DocPath = ['services', s.name, ...key];
      const acknowledged = [...s.x.acknowledge, ...app.x.acknowledge].find((a) => a.rule === rule);
      findings.push({
        rule,
        kind: 'unsafe',
        service: s.name,
        path: formatPath(path),
        message,
        location: location ?? locate(path),
        fix: ackFix(rule),
        acknowledged,
      });
    };
    if (s.privileged)
      unsafe('privileged', ['privileged'], 'privileged containers cannot run on Fargate safely');
    if (s.networkMode === 'host')
      unsafe('host-network', ['network_mode'], 'host networking bypasses the security groups');
    for (const e of s.intent.environment.filter((x) => x.handling === 'secret' && x.literal)) {
      unsafe(
        'plain-secret',
        ['environment', e.name],
        `"${e.name}" is a credential written in plain text in the compose file`,
        e.location,
      );
    }
    if (runsAsRoot(s.intent.user)) {
      const key = s.intent.user.source === 'compose' ? 'user' : s.build ? 'build' : 'image';
      unsafe(
        'root-user',
        [key],
        `the container runs as root: ${s.intent.user.reason}`,
        s.intent.user.location,
      );
    }
    s.capAdd.forEach((cap, i) => unsafe('added-capability', ['cap_add', i], `adds Linux capability ${cap}`));
  }
  // Refusals of every deployed service: a managed datastore's too (`public: true` on it).
  for (const s of app.services.filter(isDeployed)) {
    for (const r of s.intent.refusals) {
      findings.push({
        rule: r.rule,
        kind: 'refusal',
        service: s.name,
        path: r.path,
        location: r.location,
        message: r.message,
        fix: r.fix,
      });
    }
  }
  return findings;
}

function ackFix(rule: UnsafeRule): string {
  return `${FIX[rule]}, or accept it in x-shipshape: acknowledge: [{ rule: ${rule}, reason: "why" }]`;
}

/**
 * An app that passed the cloud gate, with the unsafe settings it acknowledged: what `ComposeApp`
 * builds. Only `assertCloudReady` makes one, so the gate runs once, before anything is built, and
 * the construct builds without judging.
 */
export interface CloudReadyApp {
  readonly model: AppModel;
  /** Unsafe settings the compose file acknowledged, with their reasons (synth reports them). */
  readonly acknowledgedUnsafe: readonly GateFinding[];
}

const passed = new WeakSet<CloudReadyApp>();

/** Whether `x` came from `assertCloudReady` (a hand-made object never did). */
export function passedCloudGate(x: CloudReadyApp): boolean {
  return passed.has(x);
}

/** Whether `x` is an app that passed the gate, rather than a model. */
export function isCloudReady(x: AppModel | CloudReadyApp): x is CloudReadyApp {
  return 'model' in x && passedCloudGate(x);
}

/**
 * Throw a ShipshapeError (exit 2) listing every open finding, each with file:line and its fix;
 * else the app, ready for the cloud, with the acknowledged findings so callers can report them.
 */
export function assertCloudReady(app: AppModel, verb = 'synthesize'): CloudReadyApp {
  const findings = gateFindings(app);
  const open = findings.filter((f) => f.kind === 'refusal' || !f.acknowledged);
  if (open.length === 0) {
    const ready: CloudReadyApp = Object.freeze({
      model: app,
      acknowledgedUnsafe: findings.filter((f) => f.acknowledged),
    });
    passed.add(ready);
    return ready;
  }
  const diagnostics: Diagnostic[] = open.map((f) => ({
    severity: 'error',
    message: `${f.service}: ${f.message} [${f.rule}]`,
    path: f.path,
    location: f.location,
    hint: f.fix,
  }));
  const [first, ...more] = diagnostics;
  throw new ShipshapeError(
    `${open.length} setting(s) cannot go to the cloud, refusing to ${verb} — ${first!.message}`,
    {
      exitCode: ExitCode.usage,
      path: first!.path,
      location: first!.location,
      hint: first!.hint,
      more,
    },
  );
}
