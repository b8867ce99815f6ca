import { serviceDockerfile, stageInstructions } from '../../model/dockerfile.js';
import { isPinned, parseImageRef } from '../../model/image-ref.js';
import type { AppModel, ServiceModel, SourceLocation, UnsafeRule, RefusalRule } from '../../model/types.js';
import { INTERNET } from '../../model/types.js';
import { formatPath, type DocPath } from '../../model/yaml-source.js';
import type { CheckSeverity, Finding } from '../findings.js';
import { cloudContainers } from '../../model/intent/index.js';
import { gateFindings, type GateFinding } from '../../model/gate.js';
import { rule, ruleFinding } from './catalog.js';

/**
 * Compose rules: the cloud gate's findings (one decision, made in src/policy/gate.ts) under stable
 * ids, plus the runtime-hardening classes KICS checks for compose and shipshape's own judgements
 * of the model's decisions (public datastores, public non-HTTP entries, undeclared calls).
 */
export interface ComposeContext {
  app: AppModel;
  locate(path: DocPath): SourceLocation;
  /** Services to judge (default all). */
  services?: ReadonlySet<string>;
}

/** Gate rule → check rule name (they share names; the map makes a new gate rule a type error here). */
const GATE_RULE: Record<UnsafeRule | RefusalRule, string> = {
  privileged: 'privileged',
  'host-network': 'host-network',
  'plain-secret': 'plain-secret',
  'root-user': 'root-user',
  'added-capability': 'added-capability',
  'docker-socket': 'docker-socket',
  'host-path': 'host-path',
  'host-pid': 'host-pid',
  'host-ipc': 'host-ipc',
  devices: 'devices',
  'secret-target': 'secret-target',
  'unknown-call-port': 'unknown-call-port',
  'datastore-version': 'datastore-version',
  'low-port': 'low-port',
  dockerfile: 'dockerfile',
  'secret-argument': 'secret-argument',
  'public-datastore': 'public-datastore',
  'fargate-unsupported': 'fargate-unsupported',
  'confinement-disabled': 'confinement-disabled',
  'entry-ports': 'entry-ports',
  'service-name': 'service-name',
};

const DANGEROUS_CAPS =
  /^(CAP_)?(ALL|SYS_ADMIN|NET_ADMIN|SYS_PTRACE|SYS_MODULE|DAC_READ_SEARCH|SYS_RAWIO|BPF)$/i;

export function composeFindings(ctx: ComposeContext): Finding[] {
  const wanted = (name: string) => !ctx.services || ctx.services.has(name);
  const out: Finding[] = gateFindings(ctx.app)
    .filter((g) => wanted(g.service))
    .map((g) => fromGate(g, ctx));
  const deployed = cloudContainers(ctx.app).filter((s) => wanted(s.name));
  for (const s of deployed) out.push(...hardening(s, ctx));
  for (const s of ctx.app.services.filter((x) => wanted(x.name))) {
    out.push(...exposure(s, ctx), ...publishedPorts(s, ctx), ...imagePin(s, ctx));
  }
  out.push(...undeclaredEdges(ctx, wanted));
  return out;
}

function fromGate(g: GateFinding, ctx: ComposeContext): Finding {
  const r = rule('compose', GATE_RULE[g.rule]);
  let severity: CheckSeverity = r.severity;
  if (g.rule === 'added-capability' && DANGEROUS_CAPS.test(g.message.split(' ').at(-1) ?? ''))
    severity = 'high';
  return {
    ruleId: r.id,
    severity,
    service: g.service,
    message: g.message,
    fix: g.fix,
    // The gate's own location: check and synth name the same file:line.
    location: g.location ?? ctx.locate(g.path.split('.')),
    path: g.path,
    ...(g.acknowledged ? { suppressed: { reason: g.acknowledged.reason } } : {}),
  };
}

function finding(
  s: ServiceModel,
  name: string,
  path: DocPath,
  message: string,
  ctx: ComposeContext,
  fix?: string,
): Finding {
  return ruleFinding('compose', name, {
    service: s.name,
    message,
    fix,
    location: ctx.locate(path),
    path: formatPath(path),
  });
}

/** The runtime-hardening classes, for services that run as containers in the cloud. */
function hardening(s: ServiceModel, ctx: ComposeContext): Finding[] {
  const out: Finding[] = [];
  const base = ['services', s.name];
  s.securityOpt.forEach((opt, i) => {
    const path = [...base, 'security_opt', i];
    if (/^no-new-privileges[:=]false$/.test(opt))
      out.push(finding(s, 'no-new-privileges-off', path, `security_opt turns no-new-privileges off`, ctx));
  });
  const limits = [...base, 'deploy', 'resources', 'limits'];
  if (s.resources.limits.memoryBytes === undefined)
    out.push(finding(s, 'no-memory-limit', limits, 'no memory limit (deploy.resources.limits.memory)', ctx));
  if (s.resources.limits.pids === undefined)
    out.push(finding(s, 'no-pids-limit', limits, 'no process limit (deploy.resources.limits.pids)', ctx));
  if (s.readOnly === false)
    out.push(
      finding(
        s,
        'writable-root-fs',
        [...base, 'read_only'],
        'read_only: false makes the root filesystem writable',
        ctx,
      ),
    );
  out.push(...missingHealthcheck(s, ctx));
  return out;
}

/**
 * No health check anywhere: not in compose, not in the built Dockerfile stage. A public service
 * built from a Dockerfile is SS-DOCKERFILE-007's (located at the Dockerfile), not this rule's.
 */
function missingHealthcheck(s: ServiceModel, ctx: ComposeContext): Finding[] {
  if (s.healthcheck?.disabled)
    return [
      finding(s, 'no-healthcheck', ['services', s.name, 'healthcheck'], 'the health check is disabled', ctx),
    ];
  if (s.healthcheck) return [];
  const read = serviceDockerfile(s, ctx.locate);
  const df = read?.kind === 'parsed' ? read.dockerfile : undefined;
  if (df?.built && stageInstructions(df.built, 'HEALTHCHECK').length > 0) return [];
  if (s.build && s.public) return [];
  return [finding(s, 'no-healthcheck', ['services', s.name], `"${s.name}" has no health check`, ctx)];
}

/**
 * The model's exposure decisions judged: a public raw TCP/UDP entry. (A public datastore or admin
 * tool is the gate's `public-datastore` refusal, reported above.)
 */
function exposure(s: ServiceModel, ctx: ComposeContext): Finding[] {
  if (s.intent.exposure !== 'public' || s.intent.datastore) return [];
  const where =
    s.x.public === true ? ['services', s.name, 'x-shipshape', 'public'] : ['services', s.name, 'ports'];
  return s.intent.entryPorts
    .filter((p) => p.balancer === 'network')
    .map((p) =>
      finding(
        s,
        'public-non-http',
        where,
        `port ${p.port}/${p.protocol} would be public through a network load balancer (${p.reason})`,
        ctx,
      ),
    );
}

/** Published ports without a host address (or 0.0.0.0 / ::) listen on every interface. */
function publishedPorts(s: ServiceModel, ctx: ComposeContext): Finding[] {
  if (s.networkMode === 'host') return [];
  return s.ports
    .map((p, i) => ({ p, i }))
    .filter(
      ({ p }) => p.hostIp === undefined || p.hostIp === '0.0.0.0' || p.hostIp === '::' || p.hostIp === '[::]',
    )
    .map(({ p, i }) => {
      const debug = s.intent.debugPorts.some((d) => d.target === p.target);
      const what = debug ? `debug port ${p.target}` : `port ${p.target}`;
      return finding(
        s,
        debug ? 'debug-port-all-interfaces' : 'port-all-interfaces',
        ['services', s.name, 'ports', i],
        `${what} is published on all interfaces${p.published ? ` (host port ${p.published})` : ''}`,
        ctx,
        `bind it to loopback: "127.0.0.1:${p.published ?? p.target}:${p.target}"`,
      );
    });
}

function imagePin(s: ServiceModel, ctx: ComposeContext): Finding[] {
  if (!s.image || s.build) return [];
  const ref = parseImageRef(s.image);
  if (isPinned(ref)) return [];
  return [
    finding(
      s,
      'image-not-pinned',
      ['services', s.name, 'image'],
      `image "${s.image}" is ${ref.tag === 'latest' ? 'tagged :latest' : 'not pinned to a tag or digest'}`,
      ctx,
    ),
  ];
}

/** Calls the model inferred from a reference only: no depends_on and no allow-from says so. */
function undeclaredEdges(ctx: ComposeContext, wanted: (name: string) => boolean): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const e of ctx.app.traffic.edges) {
    if (seen.has(`${e.from}\0${e.to}`)) continue; // its TCP and UDP halves are one call
    seen.add(`${e.from}\0${e.to}`);
    // The model says once whether a call is declared; the evidence is only shown.
    if (e.from === INTERNET || e.declared || !wanted(e.from)) continue;
    const s = ctx.app.services.find((x) => x.name === e.from)!;
    const ev = e.evidence[0];
    const f = finding(
      s,
      'undeclared-edge',
      ev ? ev.path.split('.') : ['services', s.name],
      `${e.from} → ${e.to} on ${e.ports.join(', ') || 'no port'} is allowed only because ${ev ? `${ev.path} names it ("${ev.text}")` : 'a reference names it'}`,
      ctx,
    );
    out.push(ev?.location ? { ...f, location: ev.location, path: ev.path } : f);
  }
  return out;
}
