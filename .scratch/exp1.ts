import { loadApp } from '../src/model/load.js';
import { synthesize } from '../src/infra/synth.js';
import { Toolkit, StackSelectionStrategy, StackParameters, BaseCredentials } from '@aws-cdk/toolkit-lib';

const app = loadApp(['examples/web-api/compose.yaml']);
const t0 = Date.now();
const r = await synthesize(app, { outdir: '/tmp/dx/out' });
console.log('synth', Date.now() - t0, r.stacks.map(s => s.name));
const tk = new Toolkit({ ioHost: { notify: async (m) => { console.log(m.level, m.code, m.message.slice(0, 300)); }, requestResponse: async (m) => m.defaultResponse } as any });
const t1 = Date.now();
await tk.bootstrap(await (await import('@aws-cdk/toolkit-lib')).BootstrapEnvironments.fromList(['aws://123456789012/us-east-1']), {});
console.log('bootstrap', Date.now() - t1);
const cx = await tk.fromAssemblyDirectory('/tmp/dx/out');
const t2 = Date.now();
try {
const res = await tk.deploy(cx, { deploymentMethod: { method: 'direct' }, parameters: StackParameters.exactly({ ImageTag: 'abc' }) });
console.log('deploy', Date.now() - t2, JSON.stringify(res.stacks.map(s => s.outputs)));
} catch (e) { console.log('ERR', e); }
