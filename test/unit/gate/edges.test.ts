/**
 * Attacks on the traffic graph (docs/check.md, undeclared-edge and unknown-call-port): calls are
 * found the way the compose network resolves names — aliases, links, container_name, any case —
 * on the ports the caller really uses (`*_PORT` siblings, gRPC, JDBC incl. Oracle, AMQP, Redis,
 * host:port lists), over UDP when the callee speaks UDP, only within a shared network; the
 * names callers use are registered in the cloud, and a service may be called anything.
 */
import { assertCloudReady } from '../../../src/model/gate.js';
import fc from 'fast-check';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ComposeApp } from '../../../src/infra/compose-app.js';
import { referencesIn } from '../../../src/model/intent/references.js';
import { loadApp } from '../../../src/model/load.js';
import { INTERNET, type AppModel } from '../../../src/model/types.js';
import { composeLocator } from '../../../src/model/locate.js';
import { composeFindings } from '../../../src/policy/rules/compose.js';
import { composeDir } from '../../support/compose-dir.js';

const load = (compose: string): AppModel =>
  loadApp([], { cwd: composeDir({ 'compose.yaml': compose }), env: {} });
const calls = (app: AppModel) =>
  app.traffic.edges
    .filter((e) => e.from !== INTERNET)
    .map((e) => `${e.from} -> ${e.to}:${e.ports.join(',')}/${e.protocol}${e.declared ? ' declared' : ''}`);

/** `caller` with `env`, beside callees that declare no port (so the reference's port is the one used). */
function calling(env: Record<string, string>, callees = ['db', 'svc', 'api']): AppModel {
  const vars = Object.entries(env)
    .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}\n`)
    .join('');
  const others = callees.map((c) => `  ${c}:\n    image: example/${c}:1\n`).join('');
  return load(`services:\n  caller:\n    image: example/caller:1\n    environment:\n${vars}${others}`);
}

describe('names as the compose network resolves them', () => {
  it('links (api:backend) are declared calls under the caller’s own name for the callee', () => {
    const app = load(`services:
  web:
    image: example/web:1
    links: ["api:backend"]
    environment: { BACKEND_URL: "http://backend:5000/v1" }
  api:
    image: example/api:1
`);
    expect(calls(app)).toEqual(['web -> api:5000/tcp declared']);
    expect(app.services.find((s) => s.name === 'api')!.intent.callerNames).toEqual(['backend']);
  });

  it('host names are case-insensitive (http://API:5000 is api)', () => {
    expect(calls(calling({ URL: 'http://API:5000', DB: 'POSTGRES://app@Db:5432/x' }))).toEqual([
      'caller -> api:5000/tcp',
      'caller -> db:5432/tcp',
    ]);
  });

  it('container_name, hostname and network aliases a caller uses are registered as client aliases', () => {
    const app = load(`services:
  web:
    image: example/web:1
    environment: { A: "http://legacy-api:8080", B: "tcp://queue.internal:4222" }
  api:
    image: example/api:1
    container_name: legacy-api
  nats:
    image: example/broker:1
    networks: { default: { aliases: [queue.internal] } }
`);
    expect(calls(app)).toEqual(['web -> api:8080/tcp', 'web -> nats:4222/tcp']);
    const names = Object.fromEntries(app.services.map((s) => [s.name, s.intent.callerNames]));
    expect(names).toEqual({ web: [], api: ['legacy-api'], nats: ['queue.internal'] });
    const cdk = new App({ analyticsReporting: false });
    const stack = new Stack(cdk, 'T', { env: { region: 'us-east-1' } });
    new ComposeApp(stack, 'App', {
      app: assertCloudReady(
        loadApp([], {
          cwd: composeDir({
            'compose.yaml': `services:
  web:
    image: example/web:1
    user: "1000"
    environment: { A: "http://legacy-api:8080" }
  api:
    image: example/api:1
    user: "1000"
    container_name: legacy-api
`,
          }),
          env: {},
        }),
      ),
    });
    const template = JSON.stringify(cdk.synth().getStackByName('T').template);
    expect(template).toContain(
      '"ClientAliases":[{"Port":8080,"DnsName":"api"},{"Port":8080,"DnsName":"legacy-api"}]',
    );
  });

  it('a service may be called "internet": its calls are calls, not entries', () => {
    const app = load(`services:
  internet:
    image: example/crawler:1
    environment: { DB: "postgres://db:5432/app" }
  db:
    image: example/db:1
`);
    expect(calls(app)).toEqual(['internet -> db:5432/tcp']);
    expect(app.traffic.edges.filter((e) => e.from === INTERNET)).toEqual([]);
  });

  it('settings that list accepted hosts are not calls (ALLOWED_HOSTS, CSRF origins, NO_PROXY, own HOSTNAME)', () => {
    const app = calling({
      DJANGO_ALLOWED_HOSTS: 'api,db',
      CSRF_TRUSTED_ORIGINS: 'http://api:8000',
      NO_PROXY: 'api,db',
      HOSTNAME: 'svc',
      VIRTUAL_HOST: 'api',
    });
    expect(calls(app)).toEqual([]);
  });

  it('only between services that share a compose network', () => {
    const app = load(`services:
  front:
    image: example/front:1
    networks: [public]
    environment: { DB: "postgres://db:5432/app", API: "http://api:8080" }
  api:
    image: example/api:1
    networks: [public, private]
  db:
    image: example/db:1
    networks: [private]
networks: { public: {}, private: {} }
`);
    expect(calls(app)).toEqual(['front -> api:8080/tcp']);
    expect(
      app.intent.decisions.some((d) => /front → db: not a call \(they share no compose network/.test(d.text)),
    ).toBe(true);
  });
});

describe('the port the caller really uses', () => {
  it('a *_PORT sibling: DATABASE_HOST=db with DATABASE_PORT=5433 is 5433, PGHOST/PGPORT too', () => {
    expect(
      calls(calling({ DATABASE_HOST: 'db', DATABASE_PORT: '5433', PGHOST: 'svc', PGPORT: '6432' })),
    ).toEqual(['caller -> db:5433/tcp', 'caller -> svc:6432/tcp']);
  });

  it('a --*-host flag with its --*-port sibling', () => {
    const app = load(`services:
  caller:
    image: example/caller:1
    command: ["app", "--db-host", "db", "--db-port=5433"]
  db:
    image: example/db:1
`);
    expect(calls(app)).toEqual(['caller -> db:5433/tcp']);
  });

  it('gRPC, Oracle JDBC (thin SID, service, TNS), AMQP, Redis and host:port lists', () => {
    const app = calling({
      GRPC: 'dns:///svc:50051',
      GRPC2: 'dns://8.8.8.8/api:50052',
      ORACLE_SID: 'jdbc:oracle:thin:@db:1521:ORCL',
    });
    expect(calls(app)).toEqual([
      'caller -> svc:50051/tcp',
      'caller -> api:50052/tcp',
      'caller -> db:1521/tcp',
    ]);
    expect(calls(calling({ ORA: 'jdbc:oracle:thin:@//db:1522/service' }))).toEqual(['caller -> db:1522/tcp']);
    expect(
      calls(
        calling({
          TNS: '(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1523))(CONNECT_DATA=(SERVICE_NAME=x)))',
        }),
      ),
    ).toEqual(['caller -> db:1523/tcp']);
    expect(
      calls(calling({ AMQP: 'amqp://guest:${PW}@svc/vhost', REDIS: 'rediss://:${PW}@db:6380/0' })),
    ).toEqual(['caller -> svc:5672/tcp', 'caller -> db:6380/tcp']);
    expect(calls(calling({ KAFKA_BOOTSTRAP: 'svc:9092,api:9093' }))).toEqual([
      'caller -> svc:9092/tcp',
      'caller -> api:9093/tcp',
    ]);
  });

  it('any URL naming a service, in any scheme and case, gives its port (explicit, else the scheme’s)', () => {
    const scheme = fc.constantFrom(
      ['http', 80],
      ['https', 443],
      ['postgresql', 5432],
      ['jdbc:mysql', 3306],
      ['mongodb', 27017],
      ['amqp', 5672],
      ['redis', 6379],
      ['nats', 4222],
      ['mqtt', 1883],
    ) as fc.Arbitrary<[string, number]>;
    const casing = fc.constantFrom(
      (s: string) => s,
      (s: string) => s.toUpperCase(),
      (s: string) => s[0]!.toUpperCase() + s.slice(1),
    );
    fc.assert(
      fc.property(
        scheme,
        casing,
        fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
        fc.constantFrom('', 'user@', 'user:pw@', ':pw@'),
        fc.constantFrom('', '/db', '/v1/x?y=1', '/?ssl=true'),
        ([sc, dflt], cased, port, auth, rest) => {
          const url = `${sc}://${auth}${cased('backend')}${port ? `:${port}` : ''}${rest}`;
          const refs = referencesIn(url, [], new Set(['backend']));
          expect(
            refs.map((r) => [r.host, r.port, r.explicitPort]),
            url,
          ).toEqual([['backend', port ?? dflt, port !== undefined]]);
          expect(refs[0]!.text, url).not.toMatch(/:pw@/);
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('UDP callees get UDP', () => {
  it('a callee that listens only over UDP, and a udp:// / statsd:// reference', () => {
    const app = load(`services:
  app:
    image: example/app:1
    environment:
      SYSLOG_HOST: logs
      STATSD: statsd://metrics:8125
      DNS: resolver:53
  logs:
    image: example/syslog:1
    expose: ["514/udp"]
  metrics:
    image: example/statsd:1
  resolver:
    image: example/dns:1
    expose: ["53/udp", "53/tcp"]
`);
    expect(calls(app)).toEqual(['app -> logs:514/udp', 'app -> metrics:8125/udp', 'app -> resolver:53/tcp']);
  });

  it('the security group rule of a UDP call is UDP', () => {
    const cdk = new App({ analyticsReporting: false });
    const stack = new Stack(cdk, 'T', { env: { region: 'us-east-1' } });
    new ComposeApp(stack, 'App', {
      app: assertCloudReady(
        loadApp([], {
          cwd: composeDir({
            'compose.yaml':
              'services:\n  app:\n    image: example/app:1\n    user: "1000"\n    environment: { SYSLOG_HOST: logs }\n  logs:\n    image: example/syslog:1\n    user: "1000"\n    expose: ["5514/udp"]\n',
          }),
          env: {},
        }),
      ),
    });
    const resources = Object.values(
      cdk.synth().getStackByName('T').template.Resources as Record<
        string,
        { Type: string; Properties: Record<string, unknown> }
      >,
    );
    const rules = resources.filter(
      (r) => r.Type === 'AWS::EC2::SecurityGroupIngress' && r.Properties.FromPort === 5514,
    );
    expect(rules.map((r) => r.Properties.IpProtocol)).toEqual(['udp']);
  });
});

describe('declared or inferred: decided once in the model', () => {
  it('depends_on plus a reference is declared; a reference alone is the undeclared-edge finding', () => {
    const app = load(`services:
  web:
    image: example/web:1
    user: "1000"
    depends_on: [api]
    environment: { API: "http://api:5000", DB: "postgres://db:5432/x" }
  api:
    image: example/api:1
    user: "1000"
  db:
    image: example/db:1
    user: "1000"
`);
    expect(calls(app)).toEqual(['web -> api:5000/tcp declared', 'web -> db:5432/tcp']);
    const undeclared = composeFindings({ app, locate: composeLocator(app) }).filter(
      (f) => f.ruleId === 'SS-COMPOSE-022',
    );
    expect(undeclared.map((f) => f.message)).toEqual([expect.stringMatching(/^web → db on 5432/)]);
  });
});
