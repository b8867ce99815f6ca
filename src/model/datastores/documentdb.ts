import { HOST, PASSWORD, variable, type ManagedEngineDescriptor } from './descriptor.js';

export const documentdb: ManagedEngineDescriptor = {
  engine: 'documentdb',
  service: 'Amazon DocumentDB',
  replaces: ['mongo'],
  versions: ['4.0', '5.0', '8.0'],
  match: 'at-least',
  port: 27017,
  account: {
    users: ['MONGO_INITDB_ROOT_USERNAME'],
    // DocumentDB reserves `admin` and `root`-like names; the compose image has no user by default.
    defaultUser: 'app',
    databases: ['MONGO_INITDB_DATABASE'],
    passwords: ['MONGO_INITDB_ROOT_PASSWORD'],
  },
  variables: (i) => [
    ...variable('MONGODB_HOST', HOST, 'the cluster endpoint'),
    ...variable('MONGODB_PORT', '27017', 'MongoDB drivers'),
    ...variable('MONGODB_USERNAME', i.credentials?.username, 'MongoDB drivers'),
    ...variable('MONGODB_PASSWORD', PASSWORD, 'the generated password (Secrets Manager)'),
  ],
  // A mongodb:// URL gets TLS, and no retryable writes (DocumentDB has none).
  rewriteUrl: (text) => {
    if (!/^mongodb:\/\//.test(text) || /[?&]tls=/.test(text)) return text;
    const [main, query] = text.split('?') as [string, string | undefined];
    const withPath = /^mongodb:\/\/[^/]+$/.test(main) ? `${main}/` : main;
    return `${withPath}?${query ? `${query}&` : ''}tls=true&retryWrites=false`;
  },
  urlWarning: (name, value) =>
    /^mongodb(\+srv)?:\/\//.test(value)
      ? {
          message: `${name} is a MongoDB URL; Amazon DocumentDB requires a user, a password and TLS with the Amazon RDS certificate authority`,
          hint: "pass MONGODB_USERNAME and MONGODB_PASSWORD as the client's auth options, and add the RDS CA bundle (https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem) to the image with tlsCAFile=<its path> in the URL",
        }
      : undefined,
};
