import { relative } from 'node:path';
import {
  serviceDockerfile as modelDockerfile,
  stageInstructions,
  type DockerfileInstruction,
  type DockerfileStage,
  type ParsedDockerfile,
} from '../../model/dockerfile.js';
import { isPinned, parseImageRef } from '../../model/image-ref.js';
import { decideUser, isRootUser, isSensitive } from '../../model/intent/index.js';
import type { ServiceModel, SourceLocation } from '../../model/types.js';
import type { DocPath } from '../../model/yaml-source.js';
import type { Finding } from '../findings.js';
import { ruleFinding } from './catalog.js';

/**
 * Dockerfile rules, on the Dockerfile as the model parsed it (src/model/dockerfile.ts, which wraps
 * dockerfile-ast): the stage that is really built (build.target honoured) and the stages it builds
 * on for what ships; every stage for supply-chain rules (pinning, downloads).
 */

/**
 * The parsed Dockerfile of a built service, as the model read it (src/model/dockerfile.ts);
 * undefined for a remote context and for a Dockerfile `docker build` would fail on, which the
 * model refuses (the `dockerfile` gate rule reports it, at the same place `synth` does).
 */
export function serviceDockerfile(
  s: ServiceModel,
  locate: (path: DocPath) => SourceLocation,
): ParsedDockerfile | undefined {
  const read = modelDockerfile(s, locate);
  return read?.kind === 'parsed' ? read.dockerfile : undefined;
}

function chain(stage: DockerfileStage): DockerfileStage[] {
  const out: DockerfileStage[] = [];
  for (let s: DockerfileStage | undefined = stage; s; s = s.parent) out.unshift(s);
  return out;
}

const at = (i: DockerfileInstruction | DockerfileStage, keyword?: string) =>
  `${keyword ?? ('keyword' in i ? i.keyword : 'FROM')} (line ${i.location.line})`;

export function dockerfileFindings(s: ServiceModel, df: ParsedDockerfile): Finding[] {
  const make = (
    name: string,
    where: { location: SourceLocation },
    message: string,
    fix?: string,
  ): Finding => {
    return ruleFinding('dockerfile', name, {
      service: s.name,
      message,
      fix,
      location: where.location,
      path: `${relative(s.build!.context, df.file) || df.file}:${where.location.line}`,
    });
  };
  const out: Finding[] = [];
  for (const stage of df.stages) out.push(...supplyChain(stage, make));
  if (!df.built) return out;
  const shipped = chain(df.built).flatMap((st) => st.instructions);
  out.push(...userFindings(s, df, make));
  for (const i of shipped) out.push(...instructionFindings(i, make));
  out.push(...packageCaches(shipped, make));
  if (s.public && !s.healthcheck && stageInstructions(df.built, 'HEALTHCHECK').length === 0) {
    out.push(
      make(
        'no-healthcheck',
        df.built,
        `entry service "${s.name}": the built stage has no HEALTHCHECK and compose sets no healthcheck`,
      ),
    );
  }
  return out;
}

type Make = (name: string, where: { location: SourceLocation }, message: string, fix?: string) => Finding;

/** Every stage: FROM pinned, no ADD of a URL, no download piped into a shell, no sudo. */
function supplyChain(stage: DockerfileStage, make: Make): Finding[] {
  const out: Finding[] = [];
  if (!stage.parent && stage.from !== 'scratch' && !stage.from.includes('$')) {
    const ref = parseImageRef(stage.from);
    if (!isPinned(ref))
      out.push(
        make(
          'base-not-pinned',
          stage,
          `FROM ${stage.from} is ${ref.tag === 'latest' ? 'tagged :latest' : 'not pinned to a tag or digest'}`,
        ),
      );
  }
  for (const i of stage.instructions) {
    if (i.keyword === 'ADD' && !i.args.some((a) => a.startsWith('--checksum'))) {
      const url = i.args.find((a) => /^https?:\/\//i.test(a));
      if (url) out.push(make('add-url', i, `${at(i)} downloads ${url} without a checksum`));
    }
    if (i.keyword !== 'RUN') continue;
    if (PIPE_TO_SHELL.test(i.raw) || SHELL_OF_DOWNLOAD.test(i.raw))
      out.push(make('pipe-to-shell', i, `${at(i)} pipes a download into a shell`));
    if (/(^|[\s;&|(])sudo\s/.test(i.raw)) out.push(make('sudo', i, `${at(i)} runs sudo`));
  }
  return out;
}

const PIPE_TO_SHELL = /\b(curl|wget)\b[^\n|;&]*\|\s*(sudo\s+)?(\S*\/)?(ba|da|z|k|a)?sh\b/;
const SHELL_OF_DOWNLOAD = /\b(ba|da|z|k|a)?sh\s+-c\s+["']?\$\((curl|wget)\b/;
const SECRET_FILE =
  /(^|\/)(id_(rsa|dsa|ecdsa|ed25519)|\.env(\.[\w.-]+)?|\.npmrc|\.pypirc|\.netrc|\.git-credentials|\.htpasswd|credentials(\.json)?|\.(aws|ssh|docker|gnupg))\/?$|\.(pem|key|p12|pfx|jks|keystore)$/i;
const WORLD_WRITABLE = /\bchmod\s+(-\w+\s+)*(0?[0-7]?7[67]7|0?666|[ao]\+[rx]*w|ugo\+[rx]*w)\b/;

function userFindings(s: ServiceModel, df: ParsedDockerfile, make: Make): Finding[] {
  // The model's one user rule, asked about the Dockerfile alone (compose `user:` set aside).
  const own = decideUser({ ...s, user: undefined }, df, undefined, undefined);
  if (own.root !== true) return [];
  const finding = make('root-user', { location: own.location ?? df.built!.location }, own.reason);
  if (s.user !== undefined && !isRootUser(s.user))
    return [
      { ...finding, severity: 'low', message: `${own.reason} (compose overrides it: user "${s.user}")` },
    ];
  return [finding];
}

/** ENV/ARG credentials, secret files copied in, world-writable modes: what ships in the image. */
function instructionFindings(i: DockerfileInstruction, make: Make): Finding[] {
  const out: Finding[] = [];
  if (i.keyword === 'ENV' || i.keyword === 'ARG') {
    for (const [name, value] of keyValues(i)) {
      if (/_FILE$/.test(name) || !isSensitive(name, value)) continue;
      if (i.keyword === 'ENV' && value === '') continue;
      const what = i.keyword === 'ENV' ? 'sets' : value ? 'defaults' : 'takes the build argument';
      out.push(make('secret-in-env-arg', i, `${at(i)} ${what} ${name}, which looks like a credential`));
    }
  }
  if (i.keyword === 'COPY' || i.keyword === 'ADD') {
    const words = i.args.filter((a) => !a.startsWith('--'));
    for (const src of words.slice(0, -1))
      if (SECRET_FILE.test(src))
        out.push(make('copy-secret-file', i, `${at(i)} copies ${src} into the image`));
    const chmod = i.args.find((a) => a.startsWith('--chmod='));
    if (chmod && /[2367]$/.test(chmod))
      out.push(make('world-writable', i, `${at(i)} ${chmod} is world-writable`));
  }
  if (i.keyword === 'RUN' && WORLD_WRITABLE.test(i.raw))
    out.push(
      make('world-writable', i, `${at(i)} makes files world-writable (${WORLD_WRITABLE.exec(i.raw)![0]})`),
    );
  return out;
}

/** `ENV A=1 B=2`, `ENV A 1`, `ARG A=1`, `ARG A` → name/value pairs. */
function keyValues(i: DockerfileInstruction): [string, string][] {
  if (i.args.length === 0) return [];
  if (i.keyword === 'ENV' && !i.args[0]!.includes('=')) return [[i.args[0]!, i.args.slice(1).join(' ')]];
  return i.args.map((a) => {
    const eq = a.indexOf('=');
    return eq < 0 ? [a, ''] : [a.slice(0, eq), a.slice(eq + 1).replace(/^(["'])(.*)\1$/, '$2')];
  });
}

const CACHES: { install: RegExp; clean: RegExp; what: string }[] = [
  {
    install: /\bapt(-get)?\s+(-\S+\s+)*install\b/,
    clean: /rm\s+-\w*r\w*\s+(-\S+\s+)*\/var\/lib\/apt\/lists/,
    what: 'apt lists',
  },
  {
    install: /\bapk\s+(-\S+\s+)*add\b/,
    clean: /--no-cache|rm\s+-\w*r\w*\s+\/var\/cache\/apk/,
    what: 'the apk cache',
  },
  {
    install: /\bpip3?\s+(-\S+\s+)*install\b/,
    clean: /--no-cache-dir|PIP_NO_CACHE_DIR/,
    what: 'the pip cache',
  },
  { install: /\bnpm\s+(ci|install|i)\b/, clean: /npm\s+cache\s+clean/, what: 'the npm cache' },
  {
    install: /\b(yum|dnf|microdnf)\s+(-\S+\s+)*install\b/,
    clean: /(yum|dnf|microdnf)\s+clean\s+all/,
    what: 'the yum/dnf cache',
  },
];

function packageCaches(shipped: DockerfileInstruction[], make: Make): Finding[] {
  const env = shipped
    .filter((i) => i.keyword === 'ENV')
    .map((i) => i.raw)
    .join('\n');
  const out: Finding[] = [];
  for (const i of shipped.filter((x) => x.keyword === 'RUN' && !/--mount=type=cache/.test(x.raw))) {
    for (const c of CACHES) {
      if (c.install.test(i.raw) && !c.clean.test(i.raw) && !c.clean.test(env))
        out.push(make('package-cache', i, `${at(i)} installs packages and leaves ${c.what} in the layer`));
    }
  }
  return out;
}
