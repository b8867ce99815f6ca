import { serviceImageTag } from '../engine/build.js';
import type { AppModel, ServiceModel } from '../model/types.js';
import { defaultTag } from '../slim/slim.js';

/**
 * The images of a service on the local engine: `built` is what `up` builds and tags (its `image:`
 * when it has one, compose's rule) or the `image:` it runs, `slim` what `shipshape slim SERVICE`
 * tags by default.
 */
export function serviceImages(app: AppModel, s: ServiceModel): { built?: string; slim: string } {
  return {
    built: s.build || s.image ? serviceImageTag(app, s) : undefined,
    slim: defaultTag({ kind: 'service', app, service: s }),
  };
}
