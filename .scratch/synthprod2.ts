import { loadApp } from '../src/model/load.js';
import { synthesize } from '../src/infra/synth.js';
for (const [f, o] of [['test/fixtures/infra/postgres/compose.yaml', '/tmp/dx/pg'], ['examples/hello-lb/compose.yaml', '/tmp/dx/hl']]) {
  try {
  const app = loadApp([f, '.scratch/prod/compose.prod.yaml'], { environment: 'prod' });
  const r = await synthesize(app, { outdir: o });
  console.log(r.stacks.map(s => `${s.name} ${s.resources}`), r.nag?.findings);
  } catch (e) { console.log(String(e), (e as any).more); }
}
