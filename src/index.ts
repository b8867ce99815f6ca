/** shipshape's library API. */
export { loadApp, findComposeFiles, type LoadOptions } from './model/load.js';
export { ShipshapeError, ExitCode, formatDiagnostic } from './model/errors.js';
export type * from './model/types.js';
export { INTERNET } from './model/types.js';
export { callersOf, calleesOf } from './model/traffic.js';
