/**
 * Attacks on "is root" (docs/check.md, root-user): every spelling runc reads as uid 0, every way
 * compose gives a Dockerfile, and acknowledgements without a reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ShipshapeError } from '../../../src/model/errors.js';
import { isRootUser, parseUserSpec, runsAsRoot } from '../../../src/model/intent/user.js';
import { loadApp } from '../../../src/model/load.js';
import { gateFindings } from '../../../src/model/gate.js';
import { composeFindings } from '../../../src/policy/rules/compose.js';
import { composeLocator } from '../../../src/model/locate.js';
import { composeDir } from '../../support/compose-dir.js';

const load = (files: Record<string, string>) => loadApp([], { cwd: composeDir(files), env: {} });
const open = (app: ReturnType<typeof load>) =>
  gateFindings(app)
    .filter((f) => !f.acknowledged)
    .map((f) => `${f.service}: ${f.rule}`);

/** uid 0 as Go's strconv.Atoi reads it: a sign, leading zeros, blanks a careless file carries. */
const zero = fc
  .tuple(
    fc.constantFrom('', '+', '-'),
    fc.integer({ min: 1, max: 8 }),
    fc.constantFrom('', ' ', '\t', '  '),
    fc.constantFrom('', ' ', '\t'),
  )
  .map(([sign, zeros, before, after]) => `${before}${sign}${'0'.repeat(zeros)}${after}`);
const group = fc.constantFrom(undefined, '0', 'root', 'somegroup', '1000', '', ' 0 ');
const withGroup = (user: string, g: string | undefined) => (g === undefined ? user : `${user}:${g}`);

describe('is root: uid parsing as runc does it', () => {
  it('uid 0 in any spelling, with any group, is root', () => {
    fc.assert(
      fc.property(fc.oneof(zero, fc.constantFrom('root', ' root', 'root ', '')), group, (u, g) => {
        expect(isRootUser(withGroup(u, g)), JSON.stringify(withGroup(u, g))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('a non-zero uid in any spelling, or another name, is not root — whatever the group', () => {
    const uid = fc
      .tuple(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom('', '+'),
      )
      .map(([n, pad, sign]) => `${sign}${'0'.repeat(pad)}${n}`);
    const name = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,15}$/).filter((n) => n !== 'root');
    fc.assert(
      fc.property(fc.oneof(uid, name), group, (u, g) => {
        expect(isRootUser(withGroup(u, g)), withGroup(u, g)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('reads the uid as a number: 0000 and +0 are 0, 01000 is 1000', () => {
    expect(parseUserSpec('0000')).toEqual({ user: '0000', uid: 0 });
    expect(parseUserSpec('+0:staff')).toEqual({ user: '+0', group: 'staff', uid: 0 });
    expect(parseUserSpec('01000:01000')).toMatchObject({ uid: 1000, group: '01000' });
    expect(parseUserSpec(':1000')).toEqual({ user: '', group: '1000' });
  });

  it('compose user: "0000", " 0", "0:somegroup", ":1000" are refused as root in the cloud', () => {
    const spellings = ['"0000"', '" 0"', '"0:somegroup"', '":1000"', '"+0"', '"root:1000"'];
    const services = spellings.map((u, i) => `  s${i}:\n    image: example/app:1\n    user: ${u}\n`).join('');
    const app = load({ 'compose.yaml': `services:\n${services}` });
    expect(open(app)).toEqual(spellings.map((_, i) => `s${i}: root-user`));
    for (const s of app.services) expect(runsAsRoot(s.intent.user), s.name).toBe(true);
  });

  it('Dockerfile USER 0000, USER +0 and USER " 0" are root', () => {
    for (const u of ['0000', '+0', '00:00', 'root:nogroup'])
      expect(
        runsAsRoot(
          load({
            'compose.yaml': 'services:\n  app:\n    build: .\n',
            Dockerfile: `FROM debian:12\nUSER ${u}\n`,
          }).services[0]!.intent.user,
        ),
        u,
      ).toBe(true);
  });
});

describe('is root: every way compose gives a Dockerfile', () => {
  it('build.dockerfile_inline is the Dockerfile (not ./Dockerfile beside it)', () => {
    const app = load({
      'compose.yaml':
        'services:\n  app:\n    build:\n      context: .\n      dockerfile_inline: |\n        FROM debian:12\n        RUN true\n',
      // A decoy: the model used to judge this file instead.
      Dockerfile: 'FROM debian:12\nUSER 10001\n',
    });
    const user = app.services[0]!.intent.user;
    expect(user.root).toBe(true);
    // Located in the compose file, at the inline FROM (line 6).
    expect(user.location).toMatchObject({ line: 6, column: 9 });
    expect(user.location!.file).toMatch(/compose\.yaml$/);
    expect(open(app)).toEqual(['app: root-user']);
  });

  it('an inline Dockerfile with USER is read too, with build args', () => {
    const app = load({
      'compose.yaml':
        'services:\n  app:\n    build:\n      context: .\n      args: { UID: "1001" }\n      dockerfile_inline: "FROM debian:12\\nARG UID=0\\nUSER $$UID\\n"\n',
    });
    expect(app.services[0]!.intent.user).toMatchObject({ root: false, user: '1001' });
  });

  it('dockerfile and dockerfile_inline together are a located error', () => {
    const dir = composeDir({
      'compose.yaml':
        'services:\n  app:\n    build:\n      dockerfile: Dockerfile\n      dockerfile_inline: "FROM a"\n',
    });
    expect(() => loadApp([], { cwd: dir, env: {} })).toThrow(/both dockerfile and dockerfile_inline/);
  });

  it('the Docker CLI fallback: a lowercase `dockerfile` is read when `Dockerfile` is missing', () => {
    const app = load({
      'compose.yaml': 'services:\n  app:\n    build: .\n',
      dockerfile: 'FROM debian:12\nUSER 0\n',
    });
    expect(app.services[0]!.intent.user.root).toBe(true);
  });

  it('a missing, empty or garbage Dockerfile is refused where compose names it, by check and synth alike', () => {
    const cases: Record<string, Record<string, string>> = {
      missing: {},
      empty: { Dockerfile: '' },
      'no FROM': { Dockerfile: 'this is not a dockerfile\n' },
      'unknown instruction': { Dockerfile: 'FROM debian:12\nRUNN true\n' },
      'missing target': { Dockerfile: 'FROM debian:12 AS base\n' },
    };
    for (const [what, files] of Object.entries(cases)) {
      const target = what === 'missing target' ? '      target: prod\n' : '';
      const app = load({
        'compose.yaml': `services:\n  app:\n    build:\n      context: .\n${target}    user: "1000"\n`,
        ...files,
      });
      const gate = gateFindings(app).filter((f) => f.rule === 'dockerfile');
      expect(gate, what).toHaveLength(1);
      const check = composeFindings({ app, locate: composeLocator(app) }).filter(
        (f) => f.ruleId === 'SS-COMPOSE-026',
      );
      expect(check, what).toHaveLength(1);
      expect(check[0]!.location, what).toEqual(gate[0]!.location);
    }
  });

  it('a directory or a non-UTF-8 file where the Dockerfile belongs is a located input error (exit 2)', () => {
    const dir = composeDir({ 'compose.yaml': 'services:\n  app:\n    build: .\n', 'Dockerfile/x': '' });
    expect(() => loadApp([], { cwd: dir, env: {} })).toThrow(ShipshapeError);
    try {
      loadApp([], { cwd: dir, env: {} });
    } catch (e) {
      expect((e as ShipshapeError).exitCode).toBe(2);
      expect((e as ShipshapeError).message).toMatch(/is not a file/);
      expect((e as ShipshapeError).location?.line).toBe(3);
    }
  });
});

describe('acknowledging root needs a reason', () => {
  it('a reason of blanks, or blanks around a few characters, is refused', () => {
    for (const reason of [
      '"          "',
      '"   ok       "',
      '"\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t\\t"',
      '"\\u200b\\u200b\\u200b\\u200b\\u200b\\u200b\\u200b\\u200b\\u200b\\u200b"',
    ])
      expect(
        () =>
          load({
            'compose.yaml': `services:\n  app:\n    image: example/app:1\n    x-shipshape:\n      acknowledge: [{ rule: root-user, reason: ${reason} }]\n`,
          }),
        reason,
      ).toThrow(/reason of at least 10 characters/);
  });

  it('a real reason is accepted', () => {
    const app = load({
      'compose.yaml':
        'services:\n  app:\n    image: example/app:1\n    x-shipshape:\n      acknowledge: [{ rule: root-user, reason: "binds port 80 in the image, reviewed" }]\n',
    });
    expect(open(app)).toEqual([]);
  });
});
