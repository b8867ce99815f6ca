import type { z } from 'zod';
import { ShipshapeError } from './errors.js';
import type { Diagnostic, SourceLocation } from './types.js';
import { formatPath, type DocPath } from './yaml-source.js';

interface Ctx {
  locate(path: DocPath): SourceLocation;
  warnings: Diagnostic[];
}

/**
 * Parse an `x-shipshape` block: unknown keys become warnings (and are dropped), any other
 * problem is a located user error.
 */
export function parseExtension<S extends z.ZodType>(
  schema: S,
  value: unknown,
  base: DocPath,
  ctx: Ctx,
): z.output<S> {
  let input = structuredClone(value);
  for (let round = 0; round < 10; round++) {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    const unknown = result.error.issues.filter((i) => i.code === 'unrecognized_keys');
    const other = result.error.issues.find((i) => i.code !== 'unrecognized_keys');
    if (other) {
      const path = [...base, ...(other.path as (string | number)[])];
      throw new ShipshapeError(other.message, {
        location: ctx.locate(path),
        path: formatPath(path),
        hint: 'see docs/x-shipshape.md for the allowed settings',
      });
    }
    for (const issue of unknown) {
      const parentPath = issue.path as (string | number)[];
      let parent: unknown = input;
      for (const seg of parentPath) parent = (parent as Record<string | number, unknown>)[seg];
      for (const key of (issue as { keys: string[] }).keys) {
        delete (parent as Record<string, unknown>)[key];
        const path = [...base, ...parentPath, key];
        ctx.warnings.push({
          severity: 'warning',
          message: `unknown x-shipshape key "${key}" is ignored`,
          path: formatPath(path),
          location: ctx.locate(path),
          hint: 'see docs/x-shipshape.md for the allowed settings',
        });
      }
    }
    if (input === undefined || input === null) input = {};
  }
  return schema.parse(input);
}
