import type { CheckSeverity, Finding, RuleDefinition, RuleFamily } from '../findings.js';

/**
 * Every rule `shipshape check` knows, with its stable id. docs/check.md documents each one (a unit
 * test keeps the two in step); SARIF output lists them with their help text. Cloud rules are the
 * cdk-nag AwsSolutions rules, named `SS-CLOUD-<rule>` when they fire (see rules/cloud.ts).
 */
const ACK = 'or accept it with a reason in `x-shipshape: { acknowledge: [{ rule: RULE, reason: "…" }] }`';

type Def = Omit<RuleDefinition, 'family' | 'id'>;

const COMPOSE: Record<string, Def> = {
  '001': {
    name: 'privileged',
    severity: 'high',
    title: 'privileged container',
    why: 'a privileged container has every capability and every device of the host: escaping it is trivial',
    fix: `remove \`privileged: true\`, ${ACK.replace('RULE', 'privileged')}`,
  },
  '002': {
    name: 'docker-socket',
    severity: 'high',
    title: 'Docker socket mounted',
    why: "whoever controls the container controls the host's engine, i.e. the host",
    fix: 'remove the volume, or keep the service local with `x-shipshape: { local-only: true }`',
  },
  '003': {
    name: 'host-path',
    severity: 'high',
    title: 'sensitive or outside-the-project host path mounted',
    why: 'system paths (/etc, /proc, /var, …) expose the host; paths outside the project cannot exist in the cloud',
    fix: 'remove the volume, use a named volume for data, or move the file into the project',
  },
  '004': {
    name: 'host-network',
    severity: 'high',
    title: 'host network namespace shared (network_mode: host)',
    why: 'the container sees every host interface and bypasses network isolation and security groups',
    fix: `remove \`network_mode: host\` and publish ports instead, ${ACK.replace('RULE', 'host-network')}`,
  },
  '005': {
    name: 'host-pid',
    severity: 'high',
    title: 'host PID namespace shared (pid: host)',
    why: 'the container sees and can signal every host process',
    fix: 'remove `pid: host`',
  },
  '006': {
    name: 'host-ipc',
    severity: 'high',
    title: 'host IPC namespace shared (ipc: host)',
    why: "the container reads and writes the host's shared memory",
    fix: 'remove `ipc: host`',
  },
  '007': {
    name: 'added-capability',
    severity: 'medium',
    title: 'Linux capability added (cap_add)',
    why: 'each capability widens what a compromised process may do (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ALL are high)',
    fix: `remove the \`cap_add\` entry, ${ACK.replace('RULE', 'added-capability')}`,
  },
  '008': {
    name: 'plain-secret',
    severity: 'high',
    title: 'credential written in the compose file',
    why: 'a password in a committed file is a leaked password; the cloud needs it in Secrets Manager',
    fix: `move the value to \`.env\` (\`KEY: \${KEY}\`) or a compose \`secrets:\` entry, ${ACK.replace('RULE', 'plain-secret')}`,
  },
  '009': {
    name: 'root-user',
    severity: 'medium',
    title: 'container runs as root',
    why: 'root in a container is root on the host after any escape, and can rewrite everything in the image',
    fix: `set \`user: "1000"\` in compose or USER in the built Dockerfile stage, ${ACK.replace('RULE', 'root-user')}`,
  },
  '010': {
    name: 'devices',
    severity: 'medium',
    title: 'host devices mapped',
    why: 'a device node gives direct access to host hardware; Fargate has none',
    fix: 'remove `devices:`, or keep the service local with `x-shipshape: { local-only: true }`',
  },
  '011': {
    name: 'secret-target',
    severity: 'low',
    title: 'secret mounted outside /run/secrets',
    why: 'in the cloud secrets arrive only under /run/secrets; elsewhere the file would be missing',
    fix: 'drop `target:`, or point it under /run/secrets/',
  },
  '012': {
    name: 'unknown-call-port',
    severity: 'medium',
    title: 'a call to a service that listens on no known port',
    why: 'no security group rule can allow the call, so the caller would fail in the cloud',
    fix: 'add `expose:` to the callee (or EXPOSE in its Dockerfile), or `x-shipshape.ignore-edges` on the caller',
  },
  '013': {
    name: 'no-new-privileges-off',
    severity: 'high',
    title: 'no-new-privileges turned off',
    why: 'setuid binaries in the image can then raise a process to root',
    fix: 'remove `no-new-privileges:false` from `security_opt` (shipshape turns it on by default)',
  },
  '014': {
    name: 'confinement-disabled',
    severity: 'high',
    title: 'seccomp, AppArmor or SELinux confinement disabled',
    why: 'the container may call every syscall the kernel has; most container escapes need one of them',
    fix: 'remove `seccomp:unconfined` / `apparmor:unconfined` / `label:disable` from `security_opt`',
  },
  '015': {
    name: 'no-memory-limit',
    severity: 'low',
    title: 'no memory limit',
    why: 'one leaking service can take the whole host down; the cloud task size comes from this limit',
    fix: 'set `deploy.resources.limits.memory` (e.g. `256M`)',
  },
  '016': {
    name: 'no-pids-limit',
    severity: 'low',
    title: 'no process (pids) limit',
    why: 'a fork bomb in one container exhausts the host’s process table',
    fix: 'set `deploy.resources.limits.pids` (e.g. `256`)',
  },
  '017': {
    name: 'port-all-interfaces',
    severity: 'low',
    title: 'entry port published on all interfaces',
    why: '`shipshape up` binds published ports to 127.0.0.1 unless --host says otherwise, but `docker compose up` of the same file binds 0.0.0.0: the port is then reachable from every network the machine is on',
    fix: 'bind it to loopback: `"127.0.0.1:HOST:CONTAINER"`',
  },
  '018': {
    name: 'no-healthcheck',
    severity: 'low',
    title: 'no health check',
    why: 'without one, a hung service keeps receiving traffic and is never replaced',
    fix: 'add `healthcheck:` in compose (or HEALTHCHECK in the Dockerfile)',
  },
  '019': {
    name: 'image-not-pinned',
    severity: 'medium',
    title: 'image without a tag or digest (or :latest)',
    why: 'what runs changes whenever the tag moves: builds are not reproducible and reviews are void',
    fix: 'pin the image to a version tag, better a digest (`image: name:1.2.3@sha256:…`)',
  },
  '020': {
    name: 'public-datastore',
    severity: 'high',
    title: 'datastore that would be public',
    why: 'databases and caches are not built to face the internet; their ports are scanned within minutes',
    fix: 'remove `x-shipshape.public: true` from the datastore; callers reach it privately',
  },
  '021': {
    name: 'public-non-http',
    severity: 'medium',
    title: 'non-HTTP port that would be public',
    why: 'a raw TCP/UDP entry gets a network load balancer open to the internet, without HTTP routing or TLS termination',
    fix: 'make the port private (`x-shipshape.public: false`, or publish it only as a debug port), or confirm it with `x-shipshape.protocols`',
  },
  '022': {
    name: 'undeclared-edge',
    severity: 'low',
    title: 'call inferred from a reference that nobody declared',
    why: 'the cloud allows a call found only in a URL or hostname; a reviewer should see it in depends_on or allow-from',
    fix: 'declare it: `depends_on:` on the caller or `x-shipshape.allow-from` on the callee; or `x-shipshape.ignore-edges` if it is not a call',
  },
  '023': {
    name: 'writable-root-fs',
    severity: 'low',
    title: 'root filesystem made writable (read_only: false)',
    why: 'an attacker can then change the code and tools inside the running container',
    fix: 'remove `read_only: false` (shipshape runs read-only by default) and mount tmpfs where the app writes',
  },
  '024': {
    name: 'debug-port-all-interfaces',
    severity: 'medium',
    title: 'debug port (a datastore, a debugger) published on all interfaces',
    why: 'a database or debugger published for local tools is, under `docker compose up`, reachable from every network the machine is on (a café Wi-Fi, the office LAN), usually without a password',
    fix: 'bind it to loopback: `"127.0.0.1:HOST:CONTAINER"`',
  },
  '025': {
    name: 'datastore-version',
    severity: 'medium',
    title: 'datastore version the managed service does not offer',
    why: 'the image would become a managed AWS service at a version that service does not run; the app was tested against another',
    fix: 'pin an image version the managed service offers, or keep it a container with `x-shipshape.managed: false` and a named volume',
  },
  '026': {
    name: 'dockerfile',
    severity: 'high',
    title: 'Dockerfile that cannot be built',
    why: 'the Dockerfile is missing, has no FROM, uses an unknown instruction or lacks the build.target stage: docker build fails, so the cloud image cannot exist, and nothing the gate says about it (its user, its ports) is known',
    fix: 'fix build.context / build.dockerfile (or dockerfile_inline) so docker build succeeds',
  },
  '027': {
    name: 'secret-argument',
    severity: 'high',
    title: 'credential in a command, entrypoint or health check',
    why: 'a password on a command line (`--db-password x`, `curl -u admin:x`, `mysql -px`, a URL with a password) is written into the task definition in plain text, and is visible in every process listing',
    fix: 'read it at run time from an environment variable delivered from a secret: `["sh", "-c", "exec app --password \\"$$DB_PASSWORD\\""]` with `DB_PASSWORD: ${DB_PASSWORD}`',
  },
  '028': {
    name: 'fargate-unsupported',
    severity: 'high',
    title: 'a setting Fargate cannot run',
    why: 'network_mode none or service:x, pid/ipc of another container, userns_mode/uts/cgroup host, sysctls, device_cgroup_rules, a custom runtime, volumes_from, GPUs, a custom seccomp or AppArmor profile: none exists on Fargate, and dropping it silently would deploy something other than what was reviewed',
    fix: 'remove the setting (each finding names it and says what to do instead), or keep the service local with `x-shipshape: { local-only: true }`',
  },
  '029': {
    name: 'entry-ports',
    severity: 'high',
    title: 'entry ports the load balancers cannot route',
    why: 'two entries on one listener port, an extra HTTP port on the main listener’s 80/443, more listeners than a load balancer may have (50), or a service listening on more than 100 ports (a published or exposed range): the cloud would not deploy, or would silently route less than compose publishes',
    fix: 'publish each entry on its own host port, and fewer of them (a range meant for local tools: `x-shipshape.public: false`)',
  },
  '030': {
    name: 'service-name',
    severity: 'high',
    title: 'service names that collide in the cloud',
    why: 'ECS, Service Connect and DNS names are lowercase letters, digits, - and _: `a.b` and `a-b`, or `Api` and `api`, would be one service, one log group, one DNS name',
    fix: 'rename one of the services so the two differ in letters or digits',
  },
  '031': {
    name: 'low-port',
    severity: 'high',
    title: 'a non-root process listens on a port below 1024',
    why: 'Fargate does not let a non-root process bind a port below 1024 (it can add no capability but SYS_PTRACE); Docker lets it, so the app runs on a laptop and crashes on every task start in the cloud',
    fix: 'listen on a port ≥ 1024 and publish it as `"80:8080"`, or run as root (`user: "0"`) and acknowledge root-user',
  },
};

const DOCKERFILE: Record<string, Def> = {
  '001': {
    name: 'root-user',
    severity: 'medium',
    title: 'no USER, or a root USER, in the built stage',
    why: 'the image runs as root wherever it runs, unless every deployment remembers to override it',
    fix: 'add `USER 10001` (a non-root user) to the stage that is built',
  },
  '002': {
    name: 'base-not-pinned',
    severity: 'medium',
    title: 'base image not pinned',
    why: 'FROM without a version tag (or with :latest) changes under you; builds are not reproducible',
    fix: 'pin FROM to a version tag, better a digest (`FROM node:20.11-bookworm-slim@sha256:…`)',
  },
  '003': {
    name: 'add-url',
    severity: 'medium',
    title: 'ADD of a URL',
    why: 'ADD downloads without verifying a checksum, and the download is cached invisibly',
    fix: 'use `ADD --checksum=sha256:… URL` or download with curl and verify the checksum in RUN',
  },
  '004': {
    name: 'pipe-to-shell',
    severity: 'high',
    title: 'a download piped into a shell (curl … | sh)',
    why: 'whatever the server returns at build time runs as root in your build, unreviewed',
    fix: 'download to a file, verify its checksum or signature, then run it',
  },
  '005': {
    name: 'secret-in-env-arg',
    severity: 'high',
    title: 'credential in ENV or ARG',
    why: 'ENV values are in every container and in `docker inspect`; ARG values are in the image history',
    fix: 'pass secrets at run time (compose `secrets:`), or use `RUN --mount=type=secret` at build time',
  },
  '006': {
    name: 'package-cache',
    severity: 'low',
    title: 'package manager cache left in the image',
    why: 'caches make the image larger and carry package indexes an attacker can use',
    fix: 'clean in the same RUN (`rm -rf /var/lib/apt/lists/*`, `apk add --no-cache`, `pip install --no-cache-dir`, `npm cache clean --force`)',
  },
  '007': {
    name: 'no-healthcheck',
    severity: 'low',
    title: 'no HEALTHCHECK for an entry service',
    why: 'the load balancer and the orchestrator cannot tell a hung entry service from a working one',
    fix: 'add `HEALTHCHECK CMD …` to the Dockerfile, or `healthcheck:` in compose',
  },
  '008': {
    name: 'copy-secret-file',
    severity: 'high',
    title: 'a key or credential file copied into the image',
    why: 'every layer is readable by anyone who can pull the image, even if a later step deletes the file',
    fix: 'do not copy it; mount it at run time (compose `secrets:`) or at build time (`RUN --mount=type=secret`)',
  },
  '009': {
    name: 'world-writable',
    severity: 'medium',
    title: 'chmod making files world-writable',
    why: 'any user in the container (and any process after an escape into it) may change them',
    fix: 'give the files to the runtime user (`COPY --chown`) with 0755/0644 modes',
  },
  '010': {
    name: 'sudo',
    severity: 'medium',
    title: 'sudo in RUN',
    why: 'sudo in an image means a privilege escalation path left in it; build steps already run as the stage user',
    fix: 'run the step before `USER`, or as `USER root` then switch back; remove sudo from the image',
  },
};

const IMAGE: Record<string, Def> = {
  '001': {
    name: 'setuid',
    severity: 'medium',
    title: 'setuid or setgid files',
    why: 'a setuid binary is a ready-made path from any user to its owner (usually root)',
    fix: 'remove them or clear the bit (`chmod u-s,g-s`), or slim the image (`shipshape slim` strips them)',
  },
  '002': {
    name: 'shell',
    severity: 'low',
    title: 'shells in the image',
    why: 'a shell is the first thing an attacker wants after code execution',
    fix: 'use a distroless or slim image (`shipshape slim` keeps a shell only when the app runs one)',
  },
  '003': {
    name: 'package-manager',
    severity: 'low',
    title: 'package managers in the image',
    why: 'a package manager lets an attacker install any tool they need',
    fix: 'use a multi-stage build or `shipshape slim` so the runtime image has none',
  },
  '004': {
    name: 'world-writable',
    severity: 'medium',
    title: 'world-writable directories or files without the sticky bit',
    why: 'any user may replace what is there, including code other users run',
    fix: 'fix the mode (`chmod o-w`), or add the sticky bit for shared temporary directories',
  },
  '005': {
    name: 'private-key',
    severity: 'high',
    title: 'private keys in the image',
    why: 'anyone who can pull the image has the key',
    fix: 'remove the file (in the layer that adds it, not a later one) and rotate the key',
  },
  '006': {
    name: 'credential-file',
    severity: 'high',
    title: 'credential files in the image',
    why: 'registry tokens, cloud keys and .env files in an image leak to everyone who can pull it',
    fix: 'remove the file in the layer that adds it (or `.dockerignore` it), and rotate the credential',
  },
  '007': {
    name: 'credential-env',
    severity: 'high',
    title: 'credential-looking environment value in the image',
    why: 'image environment is visible to every container and to `docker inspect`',
    fix: 'remove the ENV; pass the value at run time from a secret',
  },
  '008': {
    name: 'runs-as-root',
    severity: 'medium',
    title: 'the image runs as root',
    why: 'read from the image configuration: unless compose overrides it, the process is root',
    fix: 'set USER in the image, or `user:` in compose',
  },
  '009': {
    name: 'many-layers',
    severity: 'low',
    title: 'more than 40 layers',
    why: 'many layers slow pulls and usually carry files deleted in later layers',
    fix: 'merge RUN steps, use a multi-stage build, or `shipshape slim` (one layer)',
  },
  '010': {
    name: 'large-image',
    severity: 'low',
    title: 'image larger than 500 MB and not slimmed',
    why: 'a large image carries more code to patch and to exploit, and deploys slower',
    fix: 'run `shipshape slim SERVICE`, or use a smaller base image',
  },
};

function family(f: RuleFamily, defs: Record<string, Def>): RuleDefinition[] {
  return Object.entries(defs).map(([n, d]) => ({ ...d, family: f, id: `SS-${f.toUpperCase()}-${n}` }));
}

/** Every static rule (compose, Dockerfile, image), in id order. */
export const RULES: readonly RuleDefinition[] = [
  ...family('compose', COMPOSE),
  ...family('dockerfile', DOCKERFILE),
  ...family('image', IMAGE),
];

const byName = new Map(RULES.map((r) => [`${r.family}:${r.name}`, r]));

/** The rule of `family` named `name` (throws on a typo, which is a bug). */
export function rule(family: RuleFamily, name: string): RuleDefinition {
  const r = byName.get(`${family}:${name}`);
  if (!r) throw new Error(`unknown ${family} rule ${name}`);
  return r;
}

/** A finding of rule `family`/`name`: the rule's id and severity, and its fix unless `fix` is given. */
export function ruleFinding(
  family: RuleFamily,
  name: string,
  f: Omit<Finding, 'ruleId' | 'severity' | 'fix'> & { fix?: string },
): Finding {
  const r = rule(family, name);
  return { ruleId: r.id, severity: r.severity, ...f, fix: f.fix ?? r.fix };
}

export function ruleById(id: string): RuleDefinition | undefined {
  return RULES.find((r) => r.id === id);
}

export type { CheckSeverity };
