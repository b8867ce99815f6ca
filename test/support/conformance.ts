/** Helpers for the Compose Specification conformance suite (test/unit/conformance). */
import { loadApp, type LoadOptions } from '../../src/model/load.js';
import { ShipshapeError } from '../../src/model/errors.js';
import type { AppModel, ServiceModel } from '../../src/model/types.js';
import { composeDir } from './compose-dir.js';

export interface ProjectOptions extends Omit<LoadOptions, 'cwd'> {
  /** Compose files to pass (default: compose.yaml found in the directory). */
  files?: string[];
}

/** Write `files` into a temp project and load it (environment empty unless given). */
export function project(files: Record<string, string>, opts: ProjectOptions = {}): AppModel {
  const cwd = composeDir(files);
  const { files: composeFiles, ...rest } = opts;
  return loadApp(composeFiles ?? [], { env: {}, ...rest, cwd });
}

/** The user error loading `files` raises. */
export function projectError(files: Record<string, string>, opts: ProjectOptions = {}): ShipshapeError {
  try {
    project(files, opts);
  } catch (e) {
    if (e instanceof ShipshapeError) return e;
    throw e;
  }
  throw new Error('expected a user error');
}

export function service(app: AppModel, name: string): ServiceModel {
  const s = app.services.find((x) => x.name === name);
  if (!s) throw new Error(`no service ${name} (have ${app.services.map((x) => x.name).join(', ')})`);
  return s;
}

/** A compose file from lines (keeps the YAML readable in tests). */
export const yaml = (...lines: string[]) => `${lines.join('\n')}\n`;
