/**
 * Attacks on output safety (docs/check.md, "What shipshape writes and prints"): synth never deletes
 * or replaces what shipshape did not make; no value from the user's files reaches the terminal
 * with a control character that could forge or hide a line.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { formatText } from '../../../src/cli/actions/check.js';
import { printableModel } from '../../../src/cli/actions/config.js';
import { assertSafeOutput, OUTPUT_MARKER } from '../../../src/infra/synth.js';
import { formatDiagnostic, ShipshapeError } from '../../../src/model/errors.js';
import { loadApp } from '../../../src/model/load.js';
import { safeData, safeJson, safeText } from '../../../src/support/output.js';
import { composeDir } from '../../support/compose-dir.js';

const refuses = (dir: string, project: string) => {
  try {
    assertSafeOutput(dir, project);
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(ShipshapeError);
    expect((e as ShipshapeError).exitCode).toBe(2);
    return (e as ShipshapeError).message;
  }
};

describe('synth -o never deletes or replaces what shipshape did not make', () => {
  let project = '';
  let app = '';
  beforeEach(() => {
    project = composeDir({ 'app/compose.yaml': 'services: {}\n', 'app/README.md': 'mine\n' });
    app = join(project, 'app');
  });

  it('refuses the project directory and each of its ancestors', () => {
    for (const dir of [app, project, '/', join(app, '.'), join(app, 'sub', '..')])
      expect(refuses(dir, app), dir).toMatch(/project directory/);
  });

  it('refuses an existing file, and a non-empty directory without the marker', () => {
    expect(refuses(join(app, 'README.md'), app)).toMatch(/existing file/);
    mkdirSync(join(app, 'docs'));
    writeFileSync(join(app, 'docs', 'index.md'), 'mine\n');
    expect(refuses(join(app, 'docs'), app)).toMatch(/shipshape did not make/);
  });

  it('a symlink to the project is the project', () => {
    const link = join(project, 'link');
    symlinkSync(app, link);
    expect(refuses(link, app)).toMatch(/project directory/);
  });

  it('accepts a new or empty directory, and a previous output (marker, or a legacy assembly with its diagram)', () => {
    expect(refuses(join(app, 'infra'), app)).toBeUndefined();
    mkdirSync(join(app, 'empty'));
    expect(refuses(join(app, 'empty'), app)).toBeUndefined();
    mkdirSync(join(app, 'prev'));
    writeFileSync(join(app, 'prev', OUTPUT_MARKER), '{}');
    writeFileSync(join(app, 'prev', 'x.template.json'), '{}');
    expect(refuses(join(app, 'prev'), app)).toBeUndefined();
    mkdirSync(join(app, 'legacy'));
    writeFileSync(join(app, 'legacy', 'manifest.json'), '{}');
    writeFileSync(join(app, 'legacy', 'architecture.svg'), '<svg/>');
    expect(refuses(join(app, 'legacy'), app)).toBeUndefined();
  });
});

/** Any string with controls, invisible and bidi characters mixed in. */
const hostile = fc
  .array(
    fc.oneof(
      fc.string(),
      fc.constantFrom(
        '\u001b[2J',
        '\u001b[1A',
        '\r',
        '\n',
        '\u009b31m',
        '\u202e',
        '\u2066',
        '\u200b',
        '\u0007',
        '\u007f',
      ),
    ),
  )
  .map((parts) => parts.join(''));
// eslint-disable-next-line no-control-regex -- control characters are what is tested
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;

describe('control characters never reach the terminal raw', () => {
  it('safeText leaves none, and keeps the text readable', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        expect(safeText(s)).not.toMatch(UNSAFE);
      }),
      { numRuns: 500 },
    );
    expect(safeText('a\u001b[2Jb\ncheck passed\u202e')).toBe('a\\x1b[2Jb\\ncheck passed\\u202e');
  });

  it('safeJson keeps the data: JSON.parse reads back the same string', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const json = safeJson(JSON.stringify({ s }));
        expect(json).not.toMatch(UNSAFE);
        expect(JSON.parse(json)).toEqual({ s });
      }),
      { numRuns: 500 },
    );
  });

  it('config, error messages and check findings escape a value that tries to forge "check passed"', () => {
    const forged = '\u001b[2K\r\ncheck passed (--fail-on medium)\u001b[8m';
    const app = loadApp([], {
      cwd: composeDir({
        'compose.yaml': `services:\n  web:\n    image: example/web:1\n    environment:\n      NOTE: ${JSON.stringify(forged)}\n`,
      }),
      env: {},
    });
    const yaml = stringify(safeData(printableModel(app)));
    for (const line of yaml.split('\n')) expect(line).not.toMatch(UNSAFE);
    expect(yaml).toContain('\\x1b[2K\\r\\ncheck passed');
    const diagnostic = formatDiagnostic({ severity: 'error', message: `bad value ${forged}`, hint: forged });
    expect(diagnostic.split('\n')).toHaveLength(2); // the message line and the hint line, nothing forged
    for (const line of diagnostic.split('\n')) expect(line).not.toMatch(UNSAFE);
    const text = formatText(
      {
        app: 'x',
        findings: [
          {
            ruleId: 'SS-COMPOSE-008',
            severity: 'high',
            service: 'web',
            message: forged,
            fix: forged,
            location: { file: `compose${forged}.yaml`, line: 1, column: 1 },
            path: 'x',
          },
        ],
        rules: [],
        notes: [],
        incomplete: [],
        images: [],
      },
      'medium',
    );
    // eslint-disable-next-line no-control-regex -- our own colour codes are allowed
    for (const line of text.split('\n')) expect(line.replace(/\u001b\[[0-9;]*m/g, '')).not.toMatch(UNSAFE);
    expect(text.split('\n').filter((l) => /check passed/.test(l) && !/\\n/.test(l))).toEqual([]);
  });
});
