import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { readTextFile } from './text-file.js';
import { formatPath } from './yaml-source.js';
import type { BuildSpec, SourceLocation } from './types.js';

/**
 * A Dockerfile read with a parser (dockerfile-ast: continuations, heredocs, escape directives,
 * JSON forms and variables handled as BuildKit does), reduced to what shipshape decides from:
 * the stage that is really built, its effective user, exposed ports and health check.
 */
export interface DockerfileStage {
  /** `AS name`, when written. */
  name?: string;
  index: number;
  /** What `FROM` names, with build variables resolved (an earlier stage's name, or an image). */
  from: string;
  /** The stage this one builds on, when `FROM` names an earlier stage. */
  parent?: DockerfileStage;
  location: SourceLocation;
  instructions: DockerfileInstruction[];
}

export interface DockerfileInstruction {
  keyword: string;
  /** Arguments with build variables resolved (compose `build.args` first, then ARG defaults). */
  args: string[];
  /** The instruction's text after the keyword, as written. */
  raw: string;
  location: SourceLocation;
}

export interface ParsedDockerfile {
  file: string;
  stages: DockerfileStage[];
  /** The stage `docker build` produces: `build.target`, else the last. Undefined if no FROM. */
  built?: DockerfileStage;
}

/** The effective `USER` of a stage: its last USER, else its parent stage's; undefined when none. */
export function stageUser(stage: DockerfileStage): DockerfileInstruction | undefined {
  for (let s: DockerfileStage | undefined = stage; s; s = s.parent) {
    const user = s.instructions.filter((i) => i.keyword === 'USER').at(-1);
    if (user) return user;
  }
  return undefined;
}

/** The image a stage starts from at the bottom of its chain of stages. */
export function stageBaseImage(stage: DockerfileStage): string {
  let s = stage;
  while (s.parent) s = s.parent;
  return s.from;
}

/** Every instruction with `keyword` in the stage and the stages it builds on, oldest first. */
export function stageInstructions(stage: DockerfileStage, keyword: string): DockerfileInstruction[] {
  const chain: DockerfileStage[] = [];
  for (let s: DockerfileStage | undefined = stage; s; s = s.parent) chain.unshift(s);
  return chain.flatMap((s) => s.instructions.filter((i) => i.keyword === keyword));
}

/** Container ports the built stage EXPOSEs (`8080/tcp` → 8080). */
export function exposedPorts(stage: DockerfileStage): number[] {
  const ports = stageInstructions(stage, 'EXPOSE').flatMap((i) =>
    i.args.map((a) => Number(/^(\d+)(\/(tcp|udp))?$/i.exec(a)?.[1])),
  );
  return [...new Set(ports.filter((p) => Number.isInteger(p) && p > 0 && p < 65536))];
}

/** The Dockerfile file of a build, or undefined when it is not a local file (remote context, `dockerfile_inline`). */
export function dockerfilePath(build: BuildSpec): string | undefined {
  if (build.dockerfileInline !== undefined) return undefined;
  if (/^[a-z]+:\/\//.test(build.context) || /^git@/.test(build.context)) return undefined;
  const file = resolve(build.context, build.dockerfile);
  // The Docker CLI falls back to `dockerfile` when the default `Dockerfile` is missing.
  if (
    build.dockerfile === 'Dockerfile' &&
    !existsSync(file) &&
    existsSync(resolve(build.context, 'dockerfile'))
  )
    return resolve(build.context, 'dockerfile');
  return file;
}

/** Where a build's Dockerfile is named in compose, for located errors and refusals. */
export interface DockerfileWhere {
  /** The compose key naming the Dockerfile (`build.dockerfile`, else `build`). */
  location: SourceLocation;
  path: string;
  /** `build.target`, when written. */
  targetLocation?: SourceLocation;
  /** Where the text of `build.dockerfile_inline` starts in the compose file. */
  inlineAt?: SourceLocation;
}

/**
 * The Dockerfile of a build as the model reads it, in every way compose gives one: `dockerfile_inline`,
 * `dockerfile` (relative to the context, or absolute), the default `Dockerfile` (or `dockerfile`).
 * `remote`: a remote context, nothing local to read. `problem`: `docker build` would fail on it
 * (missing, no FROM, an unknown instruction, no stage named `build.target`): the cloud refuses it,
 * located. A directory or unreadable or non-UTF-8 file where the Dockerfile belongs is an input
 * error (exit 2), thrown.
 */
export type BuildDockerfile =
  | { kind: 'remote' }
  | { kind: 'parsed'; dockerfile: ParsedDockerfile & { built: DockerfileStage } }
  | {
      kind: 'problem';
      message: string;
      fix: string;
      location: SourceLocation;
      path: string;
      dockerfile?: ParsedDockerfile;
    };

const cache = new WeakMap<BuildSpec, BuildDockerfile>();

/** The one reading of a build's Dockerfile (cached per build: every command reads the same). */
export function buildDockerfile(build: BuildSpec, where: DockerfileWhere): BuildDockerfile {
  let read = cache.get(build);
  if (!read) cache.set(build, (read = readBuildDockerfile(build, where)));
  return read;
}

function readBuildDockerfile(build: BuildSpec, where: DockerfileWhere): BuildDockerfile {
  const problem = (
    message: string,
    fix: string,
    location = where.location,
    dockerfile?: ParsedDockerfile,
  ): BuildDockerfile => ({
    kind: 'problem',
    message,
    fix,
    location,
    path: where.path,
    ...(dockerfile ? { dockerfile } : {}),
  });
  let parsed: ParsedDockerfile;
  if (build.dockerfileInline !== undefined) {
    const at = where.inlineAt ?? where.location;
    parsed = parseDockerfile(build.dockerfileInline, at.file, build.args, build.target, (line, column) => ({
      file: at.file,
      line: at.line + line,
      column: at.column + column,
    }));
  } else {
    const file = dockerfilePath(build);
    if (!file) return { kind: 'remote' };
    if (!existsSync(file))
      return problem(
        `Dockerfile ${file} not found`,
        'fix build.context / build.dockerfile, or create the Dockerfile',
      );
    const text = readTextFile(file, { what: 'Dockerfile', location: where.location, path: where.path });
    if (text.includes('\0'))
      return problem(
        `${file} is not a Dockerfile (it holds binary data)`,
        'point build.dockerfile at the Dockerfile',
      );
    parsed = parseDockerfile(text, file, build.args, build.target);
  }
  const name = build.dockerfileInline !== undefined ? 'build.dockerfile_inline' : parsed.file;
  const unknown = parsed.stages.flatMap((st) => st.instructions).find((i) => !INSTRUCTIONS.has(i.keyword));
  if (unknown)
    return problem(
      `${name}: unknown instruction ${unknown.keyword} (docker build fails on it)`,
      'fix the Dockerfile: every line is an instruction (FROM, RUN, COPY, ...), a comment or a continuation',
      unknown.location,
      parsed,
    );
  if (parsed.stages.length === 0)
    return problem(
      `${name} has no FROM instruction, so it builds nothing`,
      'start the Dockerfile with FROM <image>',
      parsed.stages[0]?.location ?? firstLine(parsed, where),
      parsed,
    );
  if (!parsed.built)
    return problem(
      `${name} has no stage named "${build.target}" (build.target)`,
      `name a stage \`FROM ... AS ${build.target}\`, or fix build.target (stages: ${parsed.stages.map((st) => st.name ?? `#${st.index + 1}`).join(', ')})`,
      where.targetLocation ?? where.location,
      parsed,
    );
  return { kind: 'parsed', dockerfile: parsed as ParsedDockerfile & { built: DockerfileStage } };
}

function firstLine(parsed: ParsedDockerfile, where: DockerfileWhere): SourceLocation {
  return (
    where.inlineAt ??
    (parsed.file === where.location.file ? where.location : { file: parsed.file, line: 1, column: 1 })
  );
}

/** The instructions `docker build` knows (anything else fails the build). */
const INSTRUCTIONS = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'FROM',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

export function parseDockerfile(
  text: string,
  file: string,
  buildArgs: Readonly<Record<string, string>> = {},
  target?: string,
  /** Where the text's (0-based) line and character are (a Dockerfile written inside the compose file). */
  place: (line: number, character: number) => SourceLocation = (line, character) => ({
    file,
    line: line + 1,
    column: character + 1,
  }),
): ParsedDockerfile {
  const df = DockerfileParser.parse(text);
  const at = (i: Instruction): SourceLocation => place(i.getRange().start.line, i.getRange().start.character);
  // Compose build args override ARG defaults; dockerfile-ast resolves the defaults.
  const resolveVars = (i: Instruction): string[] =>
    i.getArguments().map((a) =>
      a
        .getValue()
        .replace(
          /\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-+?])?([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
          (m, b: string | undefined, op: string | undefined, word: string, p: string | undefined) => {
            const name = (b ?? p)!;
            const found = buildArgs[name] ?? df.resolveVariable(name, i.getRange().start.line);
            const value = typeof found === 'string' ? found : undefined;
            return substitution(value, op, word) ?? m;
          },
        ),
    );
  const stages: DockerfileStage[] = [];
  for (const i of df.getInstructions()) {
    const keyword = i.getKeyword().toUpperCase();
    const args = resolveVars(i);
    if (keyword === 'FROM') {
      const words = args.filter((a) => !a.startsWith('--'));
      const from = words[0] ?? '';
      const name = words.length >= 3 && words[1]!.toUpperCase() === 'AS' ? words[2] : undefined;
      const parent = stages.find((s) => s.name !== undefined && s.name.toLowerCase() === from.toLowerCase());
      stages.push({ name, index: stages.length, from, parent, location: at(i), instructions: [] });
      continue;
    }
    stages
      .at(-1)
      ?.instructions.push({ keyword, args, raw: i.getRawArgumentsContent() ?? '', location: at(i) });
  }
  const built =
    target === undefined
      ? stages.at(-1)
      : stages.find((s) => s.name !== undefined && s.name.toLowerCase() === target.toLowerCase());
  return { file, stages, built };
}

/**
 * A Dockerfile variable with its modifier, as BuildKit expands it: `${v:-w}` w when v is unset or
 * empty, `${v-w}` when unset; `${v:+w}` w when v is set and not empty (else empty), `${v+w}` when
 * set; `${v:?}` v. Undefined when the value is not known here (the text stays as written).
 */
function substitution(value: string | undefined, op: string | undefined, word: string): string | undefined {
  switch (op) {
    case ':-':
      return value ? value : word;
    case '-':
      return value ?? word;
    case ':+':
      return value ? word : value === undefined ? undefined : '';
    case '+':
      return value !== undefined ? word : undefined;
    default:
      return value;
  }
}

/**
 * Where the text of a YAML scalar starts, given where its value node starts: the line after a
 * block scalar's `|` or `>` (at its indentation), after the quote of a quoted one.
 */
export function scalarTextStart(value: SourceLocation): SourceLocation {
  let lines: string[];
  try {
    lines = readFileSync(value.file, 'utf8').split(/\r?\n/);
  } catch {
    return value;
  }
  const first = lines[value.line - 1] ?? '';
  const c = first[value.column - 1];
  if (c === '|' || c === '>') {
    const next = lines[value.line] ?? '';
    return { file: value.file, line: value.line + 1, column: next.length - next.trimStart().length + 1 };
  }
  if (c === '"' || c === "'") return { ...value, column: value.column + 1 };
  return value;
}

/** The Dockerfile of a compose service's build, located in its compose file (see `buildDockerfile`). */
export function serviceDockerfile(
  s: { name: string; build?: BuildSpec },
  locate: (path: readonly (string | number)[]) => SourceLocation,
): BuildDockerfile | undefined {
  if (!s.build) return undefined;
  const build = ['services', s.name, 'build'];
  const named = s.build.dockerfileInline !== undefined ? 'dockerfile_inline' : 'dockerfile';
  const key = [...build, named];
  const written = locate(key);
  const buildAt = locate(build);
  const keyWritten = written.line !== buildAt.line || written.column !== buildAt.column;
  return buildDockerfile(s.build, {
    location: keyWritten ? written : buildAt,
    path: formatPath(keyWritten ? key : build),
    ...(s.build.target !== undefined ? { targetLocation: locate([...build, 'target']) } : {}),
    ...(s.build.dockerfileInline !== undefined ? { inlineAt: scalarTextStart(written) } : {}),
  });
}
