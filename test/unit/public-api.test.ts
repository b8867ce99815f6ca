/**
 * The library's public API (src/index.ts): each command a library user can call is exported under
 * the name the CLI gives it, and nothing internal rides along.
 */
import { describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { allCommands } from '../../src/cli/commands/index.js';

describe('public API', () => {
  it('exports the verbs under the CLI names, and only what users need', () => {
    const values = Object.keys(api).sort();
    expect(values).toEqual(
      [
        'ComposeApp',
        'assertCloudReady',
        'ExitCode',
        'INTERNET',
        'SHIPSHAPE_VERSION',
        'ShipshapeError',
        'calleesOf',
        'callersOf',
        'check',
        'deploy',
        'destroy',
        'diff',
        'down',
        'findComposeFiles',
        'formatDiagnostic',
        'loadApp',
        'logs',
        'ps',
        'sbom',
        'slim',
        'synth',
        'toSarif',
        'up',
      ].sort(),
    );
    const cli = new Set(allCommands().map((c) => c.name()));
    for (const verb of [
      'up',
      'down',
      'ps',
      'logs',
      'slim',
      'synth',
      'deploy',
      'diff',
      'destroy',
      'check',
      'sbom',
    ])
      expect(cli.has(verb), `${verb} is a CLI command`).toBe(true);
  });
});
