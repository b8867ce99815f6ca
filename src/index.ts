/**
 * shipshape's library API: the app model, each command as a function named as the CLI names it,
 * and the CDK construct. What the CLI prints is its own; these return data.
 *
 *   const app = loadApp(['compose.yaml']);
 *   await up(app);                       // shipshape up
 *   const result = await synth(app);     // shipshape synth
 */

// The model: compose → one typed app model with every production decision.
export { loadApp, findComposeFiles, type LoadOptions } from './model/load.js';
export { ShipshapeError, ExitCode, formatDiagnostic } from './model/errors.js';
export type * from './model/types.js';
export { INTERNET } from './model/types.js';
export { callersOf, calleesOf } from './model/traffic.js';

// Locally, on the Docker engine.
export { up, type UpOptions, type UpResult } from './local/up.js';
export { down } from './local/down.js';
export { ps, type ReplicaStatus } from './local/ps.js';
export { logs } from './local/logs.js';
export { slim, type SlimOptions, type SlimReport } from './slim/slim.js';

// To AWS.
export { synthesize as synth, type SynthOptions, type SynthResult } from './infra/synth.js';
export {
  deployApp as deploy,
  diffApp as diff,
  type DeployOptions,
  type DeployReport,
} from './deploy/deploy.js';
export type { DiffReport } from './deploy/diff.js';
export { destroyApp as destroy, type DestroyOptions, type DestroyReport } from './deploy/destroy.js';
export { ComposeApp, type ComposeAppProps } from './infra/compose-app.js';
export { assertCloudReady, type CloudReadyApp, type GateFinding } from './model/gate.js';

// The security gate and what it reports on.
export { runCheck as check, type CheckOptions, type CheckResult } from './policy/check.js';
export type { Finding, RuleDefinition, CheckSeverity } from './policy/findings.js';
export { toSarif } from './policy/sarif.js';
export { serviceSbom as sbom, type SbomOptions, type SbomResult } from './sbom/sbom.js';

export { SHIPSHAPE_VERSION } from './support/version.js';
