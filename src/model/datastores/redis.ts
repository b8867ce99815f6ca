import { HOST, PASSWORD, variable, type ManagedEngineDescriptor } from './descriptor.js';

/** Redis clients' variables; ElastiCache takes TLS connections only. */
const redisVariables = () => [
  ...variable('REDIS_HOST', HOST, 'the primary endpoint'),
  ...variable('REDIS_PORT', '6379', 'Redis clients'),
  ...variable('REDIS_PASSWORD', PASSWORD, 'the AUTH token (Secrets Manager)'),
  ...variable('REDIS_TLS', 'true', 'the cache accepts TLS connections only'),
];

const rewriteUrl = (text: string) => text.replace(/\bredis:\/\//g, 'rediss://');

const urlWarning = (name: string, value: string, service: string) =>
  /^rediss?:\/\//.test(value)
    ? {
        unlessPassword: true,
        message: `${name} is a Redis URL without the AUTH token ${service} requires, and ECS cannot put the token into a URL`,
        hint: 'pass REDIS_PASSWORD to the client as its password (redis-py: Redis.from_url(url, password=os.environ["REDIS_PASSWORD"]); node-redis: createClient({ url, password: process.env.REDIS_PASSWORD }))',
      }
    : undefined;

export const elasticacheRedis: ManagedEngineDescriptor = {
  engine: 'elasticache-redis',
  service: 'Amazon ElastiCache (Redis OSS)',
  replaces: ['redis'],
  versions: ['6.2', '7.0', '7.1'],
  match: 'major',
  port: 6379,
  account: { users: [], defaultUser: '', databases: [], passwords: ['REDIS_PASSWORD'] },
  variables: redisVariables,
  rewriteUrl,
  urlWarning,
};

export const elasticacheValkey: ManagedEngineDescriptor = {
  engine: 'elasticache-valkey',
  service: 'Amazon ElastiCache for Valkey',
  replaces: ['valkey'],
  versions: ['7.2', '8.0', '8.1'],
  match: 'major',
  port: 6379,
  account: { users: [], defaultUser: '', databases: [], passwords: ['VALKEY_PASSWORD', 'REDIS_PASSWORD'] },
  variables: redisVariables,
  rewriteUrl,
  urlWarning,
};
