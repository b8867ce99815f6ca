import type { AppModel, SourceLocation } from './types.js';
import { mergedLocator, readYamlFile, type DocPath } from './yaml-source.js';

export type Locate = (path: DocPath) => SourceLocation;

/** The loader's own locator for each model it built (kept beside the model: models are plain data). */
const locators = new WeakMap<object, Locate>();

export function rememberLocator(app: object, locate: Locate): void {
  locators.set(app, locate);
}

/**
 * Locate any compose document path (`['services', 'api', 'security_opt', 0]`) the way the loader
 * located its own diagnostics, for commands (such as `check`) that point at settings the model
 * keeps without a location of their own. A model that was copied (structuredClone) has lost the
 * loader's locator; its files are then re-read and the last file that writes the path wins.
 */
export function composeLocator(app: Pick<AppModel, 'files'>): Locate {
  return locators.get(app) ?? mergedLocator(app.files.map((f) => readYamlFile(f)));
}
