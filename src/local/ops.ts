/**
 * The local verbs used to live here; each has its own module now (up.ts, converge.ts, down.ts,
 * ps.ts, logs.ts). Re-exported for code that imports them from here.
 */
export { down } from './down.js';
export { listLocalContainers, ps, type ReplicaStatus } from './ps.js';
export { logs, type LogLine, type LogsOptions } from './logs.js';
