import type { AppModel, SourceLocation } from './types.js';
import { mergedLocator, readYamlFile, type DocPath } from './yaml-source.js';

/**
 * Locate any compose document path (`['services', 'api', 'security_opt', 0]`) in the app's files,
 * the way the loader located its own diagnostics: the last file that writes it wins. For commands
 * (such as `check`) that point at settings the model keeps without a location of their own.
 */
export function composeLocator(app: Pick<AppModel, 'files'>): (path: DocPath) => SourceLocation {
  return mergedLocator(app.files.map((f) => readYamlFile(f)));
}
