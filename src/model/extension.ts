import * as z from 'zod';
import type { UnsafeRule } from './types.js';

/**
 * The `x-shipshape` extension: its schema (zod) and defaults. Documented in docs/x-shipshape.md.
 * Keys are kebab-case like compose's own (`allow-from`, `health-path`).
 */

/** Unsafe settings a user may accept on purpose (checked by `synth`'s unsafe-settings gate). */
export const UNSAFE_RULES = [
  'privileged',
  'host-network',
  'plain-secret',
  'root-user',
  'added-capability',
] as const satisfies readonly UnsafeRule[];
// Compile-time proof that the list names every rule of the model's type.
const _everyRule: Record<UnsafeRule, true> = Object.fromEntries(UNSAFE_RULES.map((r) => [r, true])) as Record<
  (typeof UNSAFE_RULES)[number],
  true
>;

const acknowledgement = z
  .object({
    rule: z.enum(UNSAFE_RULES),
    // A reason is read by a reviewer: blanks (or control characters) around it do not count.
    reason: z
      .string()
      .transform((r) => r.replace(/[\p{Cc}\p{Cf}]/gu, ' ').trim())
      .pipe(z.string().min(10, 'give a reason of at least 10 characters (blanks do not count)')),
  })
  .strict();

const tagValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

/** Subnet ids of one tier: none, or at least two (a load balancer and a database need two AZs). */
const subnetIds = (tier: string) =>
  z
    .array(
      z.string().regex(/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/, 'a subnet id such as subnet-0123456789abcdef0'),
    )
    .refine((ids) => ids.length !== 1, {
      message: `give at least two ${tier} subnets, in different availability zones (or none)`,
    });

/** `aws.vpc`: an existing VPC (src/model/vpc.ts checks what the schema cannot). */
const existingVpcSchema = z
  .object({
    id: z.string().regex(/^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/, 'a VPC id such as vpc-0123456789abcdef0'),
    'public-subnets': subnetIds('public').default([]),
    // Required: the tasks run there.
    'private-subnets': subnetIds('private').min(1, 'give the private subnets the tasks run in'),
    'isolated-subnets': subnetIds('isolated').default([]),
    'availability-zones': z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, 'an availability zone name such as eu-west-1a'))
      .optional(),
  })
  .strict();

/** `x-shipshape.aws`, also the shape of `x-shipshape.environments.<name>.aws` (every key optional there). */
const awsFields = {
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'use an AWS region name such as eu-west-1'),
  account: z
    .union([z.string(), z.number()])
    .transform(String)
    .pipe(z.string().regex(/^\d{12}$/))
    .optional(),
  // No default: the environment's profile decides (dev: single, prod: per-az).
  nat: z.enum(['single', 'per-az', 'none']).optional(),
  'certificate-arn': z.string().startsWith('arn:').optional(),
  domain: z
    .string()
    .regex(
      /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
      'use a lowercase DNS name such as app.example.com',
    )
    .optional(),
  'hosted-zone': z
    .object({
      id: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ'),
      name: z.string().min(1),
    })
    .strict()
    .optional(),
  'cloud-map-namespace': z
    .string()
    .regex(
      /^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:namespace\/ns-[a-z0-9]+$/,
      'a Cloud Map namespace ARN',
    )
    .optional(),
  'log-retention-days': z.number().int().positive(),
  vpc: existingVpcSchema.optional(),
};
const awsSchema = z
  .object({
    ...awsFields,
    region: awsFields.region.optional(), // else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1 (load.ts)
    'log-retention-days': awsFields['log-retention-days'].default(30),
  })
  .strict();
/** An environment's overrides: the same keys, none required, no defaults (the top level's apply). */
const awsOverrideSchema = z.object(awsFields).partial().strict();

export const appExtensionSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9_-]*$/,
        'use lowercase letters, digits, "-" and "_", starting with a letter or digit',
      )
      .optional(),
    environment: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'use letters, digits and "-"')
      .default('dev'),
    tags: z.record(z.string().min(1).max(128), tagValue).default({}),
    aws: awsSchema.default({ 'log-retention-days': 30 }),
    environments: z
      .record(
        z.string().regex(/^[A-Za-z0-9-]+$/, 'use letters, digits and "-"'),
        z
          .object({
            profile: z.enum(['dev', 'prod']).optional(),
            aws: awsOverrideSchema.optional(),
          })
          .strict(),
      )
      .default({}),
    acknowledge: z.array(acknowledgement).default([]),
    'catch-all': z.string().optional(),
  })
  .strict();

const entryProtocol = z.enum(['http', 'https', 'tcp', 'udp']);

/** `pk` (a string key) or `pk:N` (number) / `pk:B` (binary): a DynamoDB key as people write it. */
const tableKey = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,255}(:[SNB])?$/, 'write the attribute name, optionally with :S, :N or :B')
  .transform((v) => {
    const [name, type] = v.split(':');
    return { name: name!, type: (type ?? 'S') as 'S' | 'N' | 'B' };
  });

const table = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{3,200}$/, 'a DynamoDB table name: 3-200 letters, digits, _ . -'),
    'partition-key': tableKey,
    'sort-key': tableKey.optional(),
    ttl: z.string().min(1).optional(),
  })
  .strict();

const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name: 3-63 lowercase letters, digits, . and -');

export const serviceExtensionSchema = z
  .object({
    public: z.boolean().optional(),
    'health-path': z.string().startsWith('/', 'a path starts with "/"').default('/'),
    'allow-from': z.array(z.string()).default([]),
    scaling: z
      .object({
        min: z.number().int().min(0),
        max: z.number().int().min(1),
        'target-cpu': z.number().min(1).max(100).default(60),
      })
      .strict()
      .refine((s) => s.max >= s.min, { message: 'scaling.max must be at least scaling.min' })
      .optional(),
    slim: z
      .object({
        probes: z.array(z.string().startsWith('/')).default([]),
        include: z.array(z.string()).default([]),
        exclude: z.array(z.string()).default([]),
        test: z.string().optional(),
      })
      .strict()
      .default({ probes: [], include: [], exclude: [] }),
    acknowledge: z.array(acknowledgement).default([]),
    protocols: z.record(z.string().regex(/^\d{1,5}$/, 'a container port number'), entryProtocol).default({}),
    'ignore-edges': z.array(z.string()).default([]),
    'local-only': z.boolean().default(false),
    job: z.boolean().optional(),
    managed: z.boolean().default(true),
    tables: z.array(table).default([]),
    buckets: z.array(bucketName).default([]),
  })
  .strict();

export type RawAppExtension = z.output<typeof appExtensionSchema>;
export type RawServiceExtension = z.output<typeof serviceExtensionSchema>;
