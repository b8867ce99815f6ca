import { readFileSync } from 'node:fs';

/** shipshape's version, from package.json (the same path works from src/ under tsx and from dist/). */
export const SHIPSHAPE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
