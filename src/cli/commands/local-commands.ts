// The local-run commands (`up`, `down`, `ps`, `logs`), re-exported so index.ts registers them on one line.
export { upCommand } from './up.js';
export { downCommand } from './down.js';
export { psCommand } from './ps.js';
export { logsCommand } from './logs.js';
