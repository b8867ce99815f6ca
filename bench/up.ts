/**
 * `shipshape up` time to healthy, cold and warm, beside Debian's docker-compose (1.29) on the
 * same compose file, for each example. Bounded: a handful of ups, each capped by its timeout.
 *
 *   npx tsx bench/up.ts          # writes bench/results/up.json and up.md
 *
 * cold  = no app images, nothing running (base images present; builds from the layer cache).
 * warm  = app images built, nothing running.
 * again = everything running, nothing changed (shipshape reconciles to a no-op).
 * Both tools build (`--build`) and the clock stops when every container is healthy (or running,
 * without a healthcheck). docker-compose cannot run 2 replicas on one fixed host port, so both
 * tools get the published ports made ephemeral; nothing else differs.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { LABELS, engine } from '../src/engine/client.js';
import { loadApp } from '../src/model/load.js';
import { down } from '../src/local/ops.js';
import { up } from '../src/local/up.js';

const root = path.resolve(import.meta.dirname, '..');
const docker = engine();
const EXAMPLES = ['hello-lb', 'web-api'];

async function removeImages(filter: Record<string, string[]>) {
  for (const img of await docker.listImages({ filters: JSON.stringify(filter) })) {
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

/** Wait until every container of the compose project is healthy (or running without a healthcheck). */
async function composeHealthy(project: string, deadline: number) {
  for (;;) {
    const list = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }),
    });
    if (list.length > 0 && list.every((c) => c.State === 'running' && !/starting|unhealthy/.test(c.Status)))
      return;
    if (Date.now() > deadline) throw new Error(`compose project ${project} not healthy in time`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number((process.hrtime.bigint() - t) / 1_000_000n) / 1000;
}

async function benchExample(example: string) {
  const dir = path.join(root, 'examples', example);
  const name = `bench-up-${example}-${process.pid}`;
  const project = `benchc${example.replace(/-/g, '')}${process.pid}`;
  const load = () => {
    const app = loadApp([], { cwd: dir, env: {} });
    app.name = name;
    for (const s of app.services) for (const p of s.ports) p.published = undefined;
    return app;
  };
  // The same compose file for docker-compose, ports made ephemeral ("8080" instead of "8080:8080").
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bench-'));
  const doc = parse(readFileSync(path.join(dir, 'compose.yaml'), 'utf8')) as {
    services: Record<string, { ports?: string[] }>;
  };
  for (const s of Object.values(doc.services))
    if (s.ports) s.ports = s.ports.map((p) => String(p).split(':').pop()!);
  const composeFile = path.join(tmp, 'compose.yaml');
  writeFileSync(composeFile, stringify(doc));
  const compose = (...args: string[]) =>
    execFileSync('docker-compose', ['-f', composeFile, '--project-directory', dir, '-p', project, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  const composeUp = async () => {
    compose('up', '-d', '--build');
    await composeHealthy(project, Date.now() + 180_000);
  };

  try {
    process.stderr.write(`${example}: shipshape cold…\n`);
    await removeImages({ label: [`${LABELS.app}=${name}`] });
    const sCold = await timed(() => up(load()));
    await down(name);
    process.stderr.write(`${example}: shipshape warm…\n`);
    const sWarm = await timed(() => up(load()));
    const sAgain = await timed(() => up(load()));
    await down(name);

    process.stderr.write(`${example}: docker-compose cold…\n`);
    await removeImages({ reference: [`${project}_*`] });
    const cCold = await timed(composeUp);
    compose('down');
    process.stderr.write(`${example}: docker-compose warm…\n`);
    const cWarm = await timed(composeUp);
    const cAgain = await timed(composeUp);
    compose('down');
    return {
      example,
      shipshape: { coldS: sCold, warmS: sWarm, againS: sAgain },
      dockerCompose: { coldS: cCold, warmS: cWarm, againS: cAgain },
      ratio: {
        cold: Number((sCold / cCold).toFixed(2)),
        warm: Number((sWarm / cWarm).toFixed(2)),
        again: Number((sAgain / cAgain).toFixed(2)),
      },
    };
  } finally {
    await down(name).catch(() => undefined);
    try {
      compose('down');
    } catch {
      /* already down */
    }
    await removeImages({ label: [`${LABELS.app}=${name}`] });
    await removeImages({ reference: [`${project}_*`] });
    rmSync(tmp, { recursive: true, force: true });
  }
}

const results = [];
for (const example of EXAMPLES) results.push(await benchExample(example));
const version = execFileSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).trim();
const out = {
  date: new Date().toISOString(),
  cpus: os.cpus().length,
  dockerCompose: version,
  target: '≤ 1.2× docker-compose',
  results,
};
mkdirSync(path.join(root, 'bench/results'), { recursive: true });
writeFileSync(path.join(root, 'bench/results/up.json'), `${JSON.stringify(out, null, 2)}\n`);
writeFileSync(
  path.join(root, 'bench/results/up.md'),
  `# \`shipshape up\` time to healthy (${out.date.slice(0, 10)})

${out.cpus} CPUs, docker-compose ${version}. Seconds until every container is healthy; target ≤ 1.2× docker-compose.
Both examples' healthchecks run every 10 s, and the engine (20.10) runs the first check only after one interval,
so ~10 s of every figure is waiting for the first healthcheck — the same for both tools.

| example | run | shipshape s | docker-compose s | ratio |
| --- | --- | ---: | ---: | ---: |
${results
  .flatMap((r) =>
    (['cold', 'warm', 'again'] as const).map(
      (k) =>
        `| ${r.example} | ${k} | ${r.shipshape[`${k}S`].toFixed(2)} | ${r.dockerCompose[`${k}S`].toFixed(2)} | ${r.ratio[k]} |`,
    ),
  )
  .join('\n')}
`,
);
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
