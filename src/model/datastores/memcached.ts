import { HOST, variable, type ManagedEngineDescriptor } from './descriptor.js';

export const elasticacheMemcached: ManagedEngineDescriptor = {
  engine: 'elasticache-memcached',
  service: 'Amazon ElastiCache for Memcached',
  replaces: ['memcached'],
  versions: ['1.6.22'],
  match: 'major',
  port: 11211,
  variables: () => [
    ...variable('MEMCACHED_HOST', HOST, 'the configuration endpoint'),
    ...variable('MEMCACHED_PORT', '11211', 'memcached clients'),
    ...variable('MEMCACHED_TLS', 'true', 'the cache accepts TLS connections only'),
  ],
};
