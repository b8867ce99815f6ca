import { serviceImageTag } from '../engine/build.js';
import type { AppModel, ServiceModel } from '../model/types.js';
import { defaultTag } from '../slim/slim.js';

/**
 * The images of a service on the local engine: `built` is what `up` builds (or the compose
 * `image:`), `slim` what `shipshape slim SERVICE` tags by default.
 */
export function serviceImages(app: AppModel, s: ServiceModel): { built?: string; slim: string } {
  return {
    built: s.build ? serviceImageTag(app, s) : s.image,
    slim: defaultTag({ kind: 'service', app, service: s }),
  };
}
