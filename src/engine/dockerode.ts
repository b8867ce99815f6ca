import { Module, createRequire } from 'node:module';
import type DockerClass from 'dockerode';

/**
 * dockerode, loaded without the dependencies only rare calls need. Its entry point requires gRPC
 * and protobuf (BuildKit sessions), ssh2 (ssh:// engines), tar-fs (packing a build context from a
 * directory) and readable-stream (hijacked attach/exec streams) up front: most of the ~200 ms
 * `require('dockerode')` costs, paid by every `ps` and `logs`. Each of those modules is put into
 * the require cache as a stand-in that loads the real module on first use (Node documents adding
 * entries to require.cache), so nothing changes for a caller that does use them — `up` building
 * with BuildKit, an ssh:// DOCKER_HOST, an interactive exec.
 */
const require = createRequire(import.meta.url);

function deferModule(request: string, from: string): void {
  const file = createRequire(from).resolve(request);
  if (require.cache[file]) return; // already loaded for real
  let real: unknown;
  const load = (): object => {
    if (real === undefined) {
      delete require.cache[file];
      real = require(file);
    }
    return real as object;
  };
  // A function target so the stand-in can be called (session, ssh), constructed (HttpDuplex) and
  // read from (tar-fs), each passed on to the real module.
  const target = () => load() as new (...a: unknown[]) => object;
  const standIn = new Proxy(function () {}, {
    apply: (_t, self, args) => Reflect.apply(target(), self, args) as unknown,
    construct: (_t, args) => Reflect.construct(target(), args),
    get: (_t, key) => Reflect.get(load(), key),
    has: (_t, key) => Reflect.has(load(), key),
  });
  const placeholder = new Module(file);
  placeholder.filename = file;
  placeholder.loaded = true;
  placeholder.exports = standIn;
  require.cache[file] = placeholder;
}

const dockerodeMain = require.resolve('dockerode');
deferModule('./session', dockerodeMain);
deferModule('tar-fs', dockerodeMain);
const modemMain = createRequire(dockerodeMain).resolve('docker-modem');
deferModule('./ssh', modemMain);
deferModule('./http_duplex', modemMain);

const Docker = require('dockerode') as typeof DockerClass;
type Docker = DockerClass;
export default Docker;
