import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Tags } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { AppModel } from '../model/types.js';
import { commonJsWorker } from '../support/worker.js';

/** The tags every taggable resource carries: the defaults plus `x-shipshape.tags` (which win). */
export function requiredTags(app: AppModel): Record<string, string> {
  return {
    app: app.name,
    environment: app.x.environment,
    'managed-by': 'shipshape',
    ...app.x.tags,
  };
}

/** Tag everything under `scope` (CDK's tag aspect reaches every L1 that takes tags). */
export function applyTags(scope: IConstruct, app: AppModel): void {
  for (const [key, value] of Object.entries(requiredTags(app))) Tags.of(scope).add(key, value);
}

/** How a CloudFormation type carries tags, from the resource specification. */
export type TagVariant = 'standard' | 'map' | 'asg';

export interface TaggableSpec {
  /** Name of the tags property per taggable CloudFormation type. */
  get(type: string): { property: string; variant: TagVariant } | undefined;
}

let specPromise: Promise<TaggableSpec> | undefined;

export type TagTable = Record<string, { property: string; variant: TagVariant }>;

const require = createRequire(import.meta.url);

interface PrecompiledTagTable {
  /** Version of @aws-cdk/aws-service-spec the table was extracted from. */
  specVersion: string;
  table: TagTable;
}

function installedSpecVersion(): string {
  return (require('@aws-cdk/aws-service-spec/package.json') as { version: string }).version;
}

/**
 * Where the build (scripts/build.mjs) writes the table of taggable types it extracts from the
 * specification: reading the whole specification costs over a second of CPU per synth, the table
 * is 90 kB. This module sits two levels below the package root in every layout (src/infra,
 * dist/infra, the CLI bundle's dist/bin), so one relative URL works.
 */
export function precompiledTagTablePath(): string {
  return fileURLToPath(new URL('../../dist/precompiled/taggable-types.json', import.meta.url));
}

/** The build's table, when there is one and it was extracted from the installed specification. */
export function readPrecompiledTagTable(file = precompiledTagTablePath()): TagTable | undefined {
  if (!existsSync(file)) return undefined;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as PrecompiledTagTable;
  return saved.specVersion === installedSpecVersion() ? saved.table : undefined;
}

/**
 * Without a precompiled table (running from source), read the specification in a worker thread:
 * decompressing and indexing it takes most of a second, which then overlaps CDK synthesis on the
 * other core instead of adding to it. The worker sends back only the small table.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
require(workerData.specModule).loadAwsServiceSpec().then((db) => {
  const table = {};
  for (const r of db.all('resource')) {
    if (r.tagInformation) table[r.cloudFormationType] = { property: r.tagInformation.tagPropertyName, variant: r.tagInformation.variant };
  }
  parentPort.postMessage(table);
}, (e) => { throw e; });
`;

function tableInWorker(): Promise<TagTable> {
  const specModule = require.resolve('@aws-cdk/aws-service-spec');
  return commonJsWorker<TagTable>(WORKER_SOURCE, { specModule }, 'specification');
}

async function tableInProcess(): Promise<TagTable> {
  const { loadAwsServiceSpec } = await import('@aws-cdk/aws-service-spec');
  const db = await loadAwsServiceSpec();
  const table: TagTable = {};
  for (const r of db.all('resource')) {
    if (r.tagInformation) {
      table[r.cloudFormationType] = {
        property: r.tagInformation.tagPropertyName,
        variant: r.tagInformation.variant as TagVariant,
      };
    }
  }
  return table;
}

/** The precompiled table's file content, for the build: read from the installed specification. */
export async function precompiledTagTableSource(): Promise<string> {
  const saved: PrecompiledTagTable = { specVersion: installedSpecVersion(), table: await tableInProcess() };
  return `${JSON.stringify(saved)}\n`;
}

/**
 * Which CloudFormation types take tags, read from the CloudFormation resource specification
 * (`@aws-cdk/aws-service-spec`, the database CDK's own L1s are generated from). Loaded once per
 * process: from the build's precompiled table, else in a worker thread, else in process.
 */
export function loadTaggableSpec(): Promise<TaggableSpec> {
  specPromise ??= Promise.resolve()
    .then(() => readPrecompiledTagTable() ?? tableInWorker().catch(() => tableInProcess()))
    .then((table) => ({ get: (type: string) => table[type] }));
  return specPromise;
}

export interface MissingTag {
  logicalId: string;
  type: string;
  missing: string[];
}

interface TemplateLike {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

function tagKeys(value: unknown, variant: TagVariant): Map<string, unknown> {
  const keys = new Map<string, unknown>();
  if (variant === 'map') {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) keys.set(k, v);
    }
    return keys;
  }
  if (Array.isArray(value)) {
    for (const t of value as Array<{ Key?: unknown; Value?: unknown }>) {
      if (typeof t?.Key === 'string') keys.set(t.Key, t.Value);
    }
  }
  return keys;
}

/**
 * Every taggable resource in a synthesized template that lacks one of `required` (or has another
 * value for it). CDK's own metadata resource (AWS::CDK::Metadata) is not deployed as a resource
 * that takes tags, and custom resources are not in the specification, so both are skipped.
 */
export function findMissingTags(
  template: TemplateLike,
  required: Record<string, string>,
  spec: TaggableSpec,
): MissingTag[] {
  const out: MissingTag[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const info = spec.get(resource.Type);
    if (!info) continue;
    const tags = tagKeys(resource.Properties?.[info.property], info.variant);
    const missing = Object.entries(required)
      .filter(([k, v]) => tags.get(k) !== v)
      .map(([k]) => k);
    if (missing.length > 0) out.push({ logicalId, type: resource.Type, missing });
  }
  return out;
}
