/**
 * Ports: every example of the Compose Specification 05-services.md#ports, with compose-go
 * (Docker's nat.ParsePortSpec) where the text is silent.
 */
import { describe, expect, it } from 'vitest';
import type { PortMapping } from '../../../src/model/types.js';
import { project, projectError, service, yaml } from '../../support/conformance.js';

const portsOf = (...specs: string[]): PortMapping[] =>
  service(
    project({
      'compose.yaml': yaml(
        'services:',
        '  web:',
        '    image: x',
        '    ports:',
        ...specs.map((s) => `      - ${s}`),
      ),
    }),
    'web',
  ).ports;

const tcp = (target: number, published?: number, hostIp?: string): PortMapping => ({
  target,
  published,
  hostIp,
  protocol: 'tcp',
});

describe('05-services.md#ports, short syntax (each example of the specification)', () => {
  it('"3000": container port only, any free host port', () => {
    expect(portsOf('"3000"')).toEqual([tcp(3000)]);
  });

  it('"3000-3005": a container range', () => {
    expect(portsOf('"3000-3005"')).toEqual([3000, 3001, 3002, 3003, 3004, 3005].map((p) => tcp(p)));
  });

  it('"8000:8000" and "49100:22": host and container port', () => {
    expect(portsOf('"8000:8000"', '"49100:22"')).toEqual([tcp(8000, 8000), tcp(22, 49100)]);
  });

  it('"9090-9091:8080-8081": equal ranges map port to port', () => {
    expect(portsOf('"9090-9091:8080-8081"')).toEqual([tcp(8080, 9090), tcp(8081, 9091)]);
  });

  it('"8000-9000:80": one container port, the host port picked from a range', () => {
    expect(portsOf('"8000-9000:80"')).toEqual([{ ...tcp(80, 8000), publishedEnd: 9000 }]);
  });

  it('"127.0.0.1:8001:8001" and "127.0.0.1:5000-5010:5000-5010": host IP', () => {
    const ports = portsOf('"127.0.0.1:8001:8001"', '"127.0.0.1:5000-5010:5000-5010"');
    expect(ports[0]).toEqual(tcp(8001, 8001, '127.0.0.1'));
    expect(ports.slice(1)).toEqual(
      Array.from({ length: 11 }, (_, i) => tcp(5000 + i, 5000 + i, '127.0.0.1')),
    );
  });

  it('"::1:6000:6000" and "[::1]:6001:6001": IPv6 host IP, with or without brackets', () => {
    expect(portsOf('"::1:6000:6000"', '"[::1]:6001:6001"')).toEqual([
      tcp(6000, 6000, '::1'),
      tcp(6001, 6001, '::1'),
    ]);
  });

  it('"6060:6060/udp": protocol', () => {
    expect(portsOf('"6060:6060/udp"')).toEqual([
      { target: 6060, published: 6060, hostIp: undefined, protocol: 'udp' },
    ]);
  });

  it('an unquoted number is a container port', () => {
    expect(portsOf('8080')).toEqual([tcp(8080)]);
  });

  it('ranges of different lengths are an error (HOST and CONTAINER must use equivalent ranges)', () => {
    const e = projectError({
      'compose.yaml': yaml('services:', '  web:', '    image: x', '    ports: ["9000:3000-3001"]'),
    });
    expect(e.message).toMatch(/differ in length/);
    expect(e.path).toBe('services.web.ports[0]');
    expect(e.location).toMatchObject({ line: 4, column: 13 });
  });

  it('an invalid host IP is an error', () => {
    expect(
      projectError({ 'compose.yaml': yaml('services:', '  web: { image: x, ports: ["300.1.1.1:80:80"] }') })
        .message,
    ).toMatch(/invalid host IP "300\.1\.1\.1"/);
  });
});

describe('05-services.md#ports, long syntax (the specification example)', () => {
  it('target, host_ip, published "8080" and a published range "8083-9000"', () => {
    const ports = portsOf(
      '{ name: web, target: 80, host_ip: 127.0.0.1, published: "8080", protocol: tcp, app_protocol: http, mode: host }',
      '{ name: web-secured, target: 443, host_ip: 127.0.0.1, published: "8083-9000", protocol: tcp, app_protocol: https, mode: host }',
    );
    expect(ports).toEqual([
      { ...tcp(80, 8080, '127.0.0.1'), appProtocol: 'http' },
      { ...tcp(443, 8083, '127.0.0.1'), publishedEnd: 9000, appProtocol: 'https' },
    ]);
  });

  it('published omitted: any free port; protocol defaults to tcp', () => {
    expect(portsOf('{ target: 80 }')).toEqual([tcp(80)]);
  });

  it('sctp is refused: shipshape deploys to AWS Fargate, which has no sctp (deliberate difference)', () => {
    const e = projectError({
      'compose.yaml': yaml('services:', '  web: { image: x, ports: ["80:80/sctp"] }'),
    });
    expect(e.message).toBe('unsupported protocol "sctp"');
    expect(e.hint).toMatch(/Fargate/);
  });
});
