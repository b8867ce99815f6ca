import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
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

/** The Dockerfile of a build, or undefined when it cannot be read (remote context, missing file). */
export function dockerfilePath(build: BuildSpec): string | undefined {
  if (/^[a-z]+:\/\//.test(build.context) || /^git@/.test(build.context)) return undefined;
  return resolve(build.context, build.dockerfile);
}

/** Parse the Dockerfile of a compose build; undefined when it cannot be read. */
export function readDockerfile(build: BuildSpec): ParsedDockerfile | undefined {
  const file = dockerfilePath(build);
  if (!file || !existsSync(file)) return undefined;
  return parseDockerfile(readFileSync(file, 'utf8'), file, build.args, build.target);
}

export function parseDockerfile(
  text: string,
  file: string,
  buildArgs: Readonly<Record<string, string>> = {},
  target?: string,
): ParsedDockerfile {
  const df = DockerfileParser.parse(text);
  const at = (i: Instruction): SourceLocation => ({
    file,
    line: i.getRange().start.line + 1,
    column: i.getRange().start.character + 1,
  });
  // Compose build args override ARG defaults; dockerfile-ast resolves the defaults.
  const resolveVars = (i: Instruction): string[] =>
    i.getArguments().map((a) =>
      a
        .getValue()
        .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (m, b, p) => {
          const name = (b ?? p) as string;
          const value = buildArgs[name] ?? df.resolveVariable(name, i.getRange().start.line);
          return typeof value === 'string' ? value : m;
        }),
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
