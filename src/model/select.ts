import { ExitCode, ShipshapeError } from './errors.js';
import type { AppModel, ServiceModel } from './types.js';

/** The services named on a command line (all when none); an unknown name is bad input (exit 2). */
export function selectServices(app: AppModel, names: readonly string[] = []): ServiceModel[] {
  const unknown = names.filter((n) => !app.services.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new ShipshapeError(`no service named ${unknown.map((n) => `"${n}"`).join(', ')} in ${app.name}`, {
      exitCode: ExitCode.usage,
      location: app.services[0]?.location,
      hint: `services: ${app.services.map((s) => s.name).join(', ')}`,
    });
  }
  return names.length === 0 ? [...app.services] : app.services.filter((s) => names.includes(s.name));
}
