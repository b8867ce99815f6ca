/** shipshape's library API. */
export { loadApp, findComposeFiles, type LoadOptions } from './model/load.js';
export { ShipshapeError, ExitCode, formatDiagnostic } from './model/errors.js';
export type * from './model/types.js';
export { INTERNET } from './model/types.js';
export { callersOf, calleesOf } from './model/traffic.js';
export { up, type UpOptions, type UpResult } from './local/up.js';
export { down } from './local/ops.js';
export { slim, type SlimOptions, type SlimReport } from './slim/slim.js';
export { ComposeApp, type ComposeAppProps } from './infra/compose-app.js';
export {
  ManagedDatastore,
  NetworkDatastore,
  PostgresDatabase,
  MysqlDatabase,
  MariaDbDatabase,
  CacheReplicationGroup,
  MemcachedCluster,
  DocumentDatabase,
  DynamoTables,
  ObjectStore,
  newManagedDatastore,
} from './infra/datastores/index.js';
export { AppFileSystem } from './infra/file-system.js';
export { synthesize, type SynthOptions, type SynthResult } from './infra/synth.js';
export { SHIPSHAPE_VERSION } from './support/version.js';
export { resolveProfile, type DeployProfile } from './infra/profile.js';
export { deployApp, type DeployOptions, type DeployReport } from './deploy/deploy.js';
export { destroyApp, type DestroyOptions, type DestroyReport } from './deploy/destroy.js';
export { classifyDiff, type DiffReport } from './deploy/diff.js';
export { runCheck, type CheckOptions, type CheckResult } from './policy/check.js';
export type { Finding, RuleDefinition, CheckSeverity } from './policy/findings.js';
export { RULES } from './policy/rules/catalog.js';
export { toSarif } from './policy/sarif.js';
export { serviceSbom, type SbomOptions, type SbomResult } from './sbom/sbom.js';
export { estimateCost, type CostEstimate } from './infra/cost.js';
