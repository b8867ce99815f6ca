import { assertCloudReady } from '../../../src/model/gate.js';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ComposeApp } from '../../../src/infra/compose-app.js';
import { example, load } from './helpers.js';

/**
 * Snapshots of the examples' templates, as reviewable YAML files: any change to the generated
 * infrastructure shows up as a diff in review (`vitest -u` to accept it deliberately).
 */
describe.each(['hello-lb', 'web-api'])('%s template snapshot', (name) => {
  it('matches the reviewed template', async () => {
    const app = new App({ analyticsReporting: false });
    const stack = new Stack(app, 'Snapshot', { env: { region: 'us-east-1' } });
    new ComposeApp(stack, 'App', { app: assertCloudReady(load(example(name))) });
    const yaml = stringify(Template.fromStack(stack).toJSON(), {
      aliasDuplicateObjects: false,
      lineWidth: 0,
    });
    // Prettier-formatted so the snapshot passes the repository's `prettier --check .`.
    const file = new URL(`./__snapshots__/${name}.template.yaml`, import.meta.url).pathname;
    const formatted = await format(yaml, { ...(await resolveConfig(file)), parser: 'yaml' });
    await expect(formatted).toMatchFileSnapshot(file);
  });
});
