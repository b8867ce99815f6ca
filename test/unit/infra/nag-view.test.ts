/**
 * instanceofView (src/infra/nag.ts): the CLI bundle hands it to cdk-nag's rules so that checking
 * `node instanceof CfnX` does not load the L1 module of every AWS service. It must answer exactly
 * as the real class does. Run in a fresh process, where aws-quicksight is certainly not loaded yet.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');

const SCRIPT = `
import { createRequire } from 'node:module';
import { cdkLibFile, instanceofView } from './src/infra/nag.ts';
const require = createRequire(import.meta.url);
const { App, Stack } = require('aws-cdk-lib');
const real = require('aws-cdk-lib/aws-quicksight');
const file = 'aws-quicksight/lib/quicksight.generated.js';
const view = instanceofView(real, { CfnDataSource: file, CfnTheme: file });
const isLoaded = () => require.cache[cdkLibFile(file)] !== undefined;
const out = {};
out.loadedAtStart = isLoaded();
const early = view.CfnDataSource;
out.plainObjectIsInstance = {} instanceof view.CfnDataSource;
out.loadedAfterCheck = isLoaded();
const stack = new Stack(new App(), 'S');
const source = new real.CfnDataSource(stack, 'Source', { awsAccountId: '123456789012', dataSourceId: 'd', name: 'x', type: 'S3' });
out.loadedAfterUse = isLoaded();
out.instance = source instanceof view.CfnDataSource;
out.instanceViaEarlyStandIn = source instanceof early;
out.otherClass = source instanceof view.CfnTheme;
out.sameClassOnceLoaded = view.CfnDataSource === real.CfnDataSource;
out.staticMember = early.CFN_RESOURCE_TYPE_NAME;
process.stdout.write(JSON.stringify(out));
`;

describe('cdk-nag instanceof view', () => {
  it('answers instanceof like the real class without loading its module first', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', import.meta.resolve('tsx'), '--input-type=module', '-e', SCRIPT],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      loadedAtStart: false,
      plainObjectIsInstance: false,
      loadedAfterCheck: false, // the check itself loaded nothing
      loadedAfterUse: true,
      instance: true,
      instanceViaEarlyStandIn: true, // a stand-in handed out before the load answers right after it
      otherClass: false,
      sameClassOnceLoaded: true,
      staticMember: 'AWS::QuickSight::DataSource',
    });
  });
});
