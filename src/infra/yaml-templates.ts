import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { dump } from 'js-yaml';

/** A template CDK wrote as JSON, and where its YAML twin goes. */
export interface YamlTwin {
  readonly json: string;
  readonly yaml: string;
}

/** YAML as people read and diff it: no anchors, no folded lines. */
const YAML_OPTIONS = { noRefs: true, lineWidth: -1 } as const;
export const yamlOf = (template: unknown): string => dump(template, YAML_OPTIONS);

/**
 * Past this many templates the YAML is written in a worker thread: for 100 services (106 stacks)
 * it costs ~0.2 s of CPU, which then overlaps the tag check on the other core; for a few stacks
 * starting a worker would cost more than it saves.
 */
const WORKER_FROM_TEMPLATES = 8;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync, writeFileSync } = require('node:fs');
const { dump } = require(workerData.jsYaml);
for (const { json, yaml } of workerData.twins)
  writeFileSync(yaml, dump(JSON.parse(readFileSync(json, 'utf8')), workerData.options));
parentPort.postMessage('done');
`;

/** Write each template's YAML twin; resolves when all are written. */
export function writeYamlTwins(twins: readonly YamlTwin[]): Promise<void> {
  if (twins.length < WORKER_FROM_TEMPLATES) {
    for (const { json, yaml } of twins) writeFileSync(yaml, yamlOf(JSON.parse(readFileSync(json, 'utf8'))));
    return Promise.resolve();
  }
  return new Promise((resolvePromise, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { jsYaml: createRequire(import.meta.url).resolve('js-yaml'), options: YAML_OPTIONS, twins },
    });
    worker.once('message', () => resolvePromise());
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`YAML worker exited with ${code}`)));
  });
}
