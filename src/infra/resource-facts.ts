import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * What the CloudFormation resource specification (`@aws-cdk/aws-service-spec`, the database CDK's
 * L1s and cloudformation-diff's replacement rules come from) says about a resource type that
 * matters over its lifetime: whether it holds state (`isStateful`: replacing or deleting it loses
 * data) and which properties are its physical name (a name given in the template is unique in the
 * account and region, so two stacks, or a replacement created before the old one is deleted,
 * collide on it).
 */
export interface ResourceFacts {
  stateful: boolean;
  /** Properties that name the resource when set (`BucketName`, `TableName`, `ServiceName`...). */
  names: string[];
}

export type ResourceFactTable = Record<string, ResourceFacts>;

/**
 * Name properties the specification does not mark as part of the primary identifier, though the
 * service keeps them unique: ECS service names in their cluster, Cloud Map namespace names,
 * secret names, security group names in their VPC, DocumentDB cluster identifiers.
 */
const MORE_NAMES: Record<string, string[]> = {
  'AWS::ECS::Service': ['ServiceName'],
  'AWS::ServiceDiscovery::HttpNamespace': ['Name'],
  'AWS::ServiceDiscovery::PrivateDnsNamespace': ['Name'],
  'AWS::ServiceDiscovery::PublicDnsNamespace': ['Name'],
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::EC2::SecurityGroup': ['GroupName'],
  'AWS::DocDB::DBCluster': ['DBClusterIdentifier'],
  'AWS::ElastiCache::SubnetGroup': ['CacheSubnetGroupName'],
};

/** A primary identifier property that is written in the template and reads as a name. */
const NAME_LIKE = /(Name|Identifier|Id)$/;

interface SpecResource {
  cloudFormationType: string;
  primaryIdentifier?: string[];
  isStateful?: boolean;
  properties: Record<string, unknown>;
}

/** The table from the specification's resources. */
export function factsFromSpec(resources: Iterable<SpecResource>): ResourceFactTable {
  const table: ResourceFactTable = {};
  for (const r of resources) {
    const fromSpec = (r.primaryIdentifier ?? []).filter((p) => p in r.properties && NAME_LIKE.test(p));
    const names = [...new Set([...fromSpec, ...(MORE_NAMES[r.cloudFormationType] ?? [])])];
    if (names.length > 0 || r.isStateful) table[r.cloudFormationType] = { stateful: !!r.isStateful, names };
  }
  return table;
}

const require = createRequire(import.meta.url);
const installedSpecVersion = () =>
  (require('@aws-cdk/aws-service-spec/package.json') as { version: string }).version;

/** Where the build writes the table (next to the tag table, see src/infra/tags.ts). */
export function precompiledFactsPath(): string {
  return fileURLToPath(new URL('../../dist/precompiled/resource-facts.json', import.meta.url));
}

async function factsInProcess(): Promise<ResourceFactTable> {
  const { loadAwsServiceSpec } = await import('@aws-cdk/aws-service-spec');
  const db = await loadAwsServiceSpec();
  return factsFromSpec(db.all('resource') as Iterable<SpecResource>);
}

/** The precompiled table's file content, for the build. */
export async function precompiledFactsSource(): Promise<string> {
  return `${JSON.stringify({ specVersion: installedSpecVersion(), table: await factsInProcess() })}\n`;
}

let loading: Promise<ResourceFactTable> | undefined;

/**
 * The table: the build's precompiled one when it was made from the installed specification, else
 * read from the specification (about a second), once per process.
 */
export function loadResourceFacts(): Promise<ResourceFactTable> {
  loading ??= Promise.resolve().then(() => {
    const file = precompiledFactsPath();
    if (existsSync(file)) {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as {
        specVersion: string;
        table: ResourceFactTable;
      };
      if (saved.specVersion === installedSpecVersion()) return saved.table;
    }
    return factsInProcess();
  });
  return loading;
}

export interface PhysicalName {
  logicalId: string;
  type: string;
  property: string;
  /** The value as written (a string, or an intrinsic function). */
  value: unknown;
}

interface TemplateLike {
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }>;
}

/** Every physical name a template gives (name properties that are set). */
export function physicalNames(template: TemplateLike, facts: ResourceFactTable): PhysicalName[] {
  const out: PhysicalName[] = [];
  for (const [logicalId, r] of Object.entries(template.Resources ?? {})) {
    for (const property of facts[r.Type ?? '']?.names ?? []) {
      const value = r.Properties?.[property];
      if (value !== undefined) out.push({ logicalId, type: r.Type!, property, value });
    }
  }
  return out;
}
