/** A CloudFormation template, as far as the diff and the change-hazard check read one. */
export interface TemplateLike {
  Resources?: Record<
    string,
    { Type?: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
}

/** Friendly names for logical ids: construct paths without the stack and `/Resource`. */
export function namer(...templates: Array<TemplateLike | undefined>): (id: string) => string {
  const paths = new Map<string, string>();
  for (const t of templates) {
    for (const [id, r] of Object.entries(t?.Resources ?? {})) {
      const path = r.Metadata?.['aws:cdk:path'];
      if (typeof path === 'string' && !paths.has(id)) {
        paths.set(id, path.replace(/^[^/]+\//, '').replace(/\/(Resource|Default)$/, ''));
      }
    }
  }
  return (id) => paths.get(id) ?? id;
}
