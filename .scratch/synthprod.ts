import { loadApp } from '../src/model/load.js';
import { synthesize } from '../src/infra/synth.js';
const app = loadApp(['examples/web-api/compose.yaml', '.scratch/prod/compose.prod.yaml'], { environment: 'prod' });
const r = await synthesize(app, { outdir: '/tmp/dx/prod' });
console.log(r.stacks.map(s => `${s.name} ${s.resources}`), r.nag?.findings);
