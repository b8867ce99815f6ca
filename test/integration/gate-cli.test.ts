/**
 * The gate's promises (docs/check.md) attacked through the built CLI, as a user (or an attacker
 * writing the compose file) would: synth never deletes or replaces what shipshape did not make,
 * Ctrl-C leaves nothing half-made, nothing forges a line on the terminal, check and synth name
 * the same file:line, and a check that could not judge the cloud does not pass.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shipshape, spawnShipshape } from '../support/cli.js';
import { composeDir } from '../support/compose-dir.js';

const APP = `services:
  web:
    image: nginxinc/nginx-unprivileged:1.27
    user: "101"
    ports: ["8080:8080"]
    healthcheck: { test: ["CMD", "wget", "-qO-", "http://127.0.0.1:8080/"] }
    deploy: { resources: { limits: { memory: 256M, pids: 128 } } }
`;

describe('synth -o never deletes or replaces what shipshape did not make', () => {
  it('refuses the project directory (-o .) and an existing file (-o README.md), exit 2, all intact', () => {
    const dir = composeDir({ 'compose.yaml': APP, 'README.md': 'mine\n', 'src/app.js': 'x\n' });
    for (const out of ['.', 'README.md', '..']) {
      const r = shipshape(['synth', '-o', out], { cwd: dir });
      expect(r.code, `${out}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/refusing to (write|replace)/);
    }
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('mine\n');
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'compose.yaml', 'src']);
  });

  it('refuses a non-empty directory it did not make; replaces its own previous output', () => {
    const dir = composeDir({ 'compose.yaml': APP, 'docs/index.md': 'mine\n' });
    expect(shipshape(['synth', '-o', 'docs'], { cwd: dir }).code).toBe(2);
    expect(readFileSync(join(dir, 'docs/index.md'), 'utf8')).toBe('mine\n');
    for (let i = 0; i < 2; i++) {
      const r = shipshape(['synth', '-o', 'infra'], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
    }
    expect(existsSync(join(dir, 'infra', '.shipshape-output'))).toBe(true);
  });

  it('Ctrl-C during synth exits 130 and leaves neither the output nor a staging directory', async () => {
    const dir = composeDir({ 'compose.yaml': APP });
    const child = spawnShipshape(['synth', '-o', 'out'], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Interrupt as soon as synthesis starts (its first progress line).
    await new Promise<void>((resolve) => {
      const check = () => (/synth: /.test(stderr) ? resolve() : setTimeout(check, 20));
      check();
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(130);
    expect(readdirSync(dir)).toEqual(['compose.yaml']);
  });
});

describe('nothing from the compose file forges or hides a line on the terminal', () => {
  it('config and check escape control characters in values and messages', () => {
    const forged = '\u001b[2K\r\ncheck passed (--fail-on medium)\u001b[8m';
    const dir = composeDir({
      'compose.yaml': `services:\n  web:\n    image: nginxinc/nginx-unprivileged:1.27\n    environment:\n      NOTE: ${JSON.stringify(forged)}\n      API_TOKEN: ${JSON.stringify(`tok${forged}`)}\n`,
    });
    for (const args of [['config'], ['config', '--format', 'json'], ['check', '--only', 'compose']]) {
      const r = shipshape(args, { cwd: dir });
      // eslint-disable-next-line no-control-regex -- control characters are what is tested
      expect(`${r.stdout}${r.stderr}`, args.join(' ')).not.toMatch(/[\u001b\r\u009b]/);
      expect(
        r.stdout.split('\n').filter((l) => /^check passed/.test(l)),
        args.join(' '),
      ).toEqual([]);
    }
  });
});

describe('check and synth read one decision and name one place', () => {
  it('a refused setting is reported by both at the same file:line', () => {
    const dir = composeDir({
      'compose.yaml':
        `${APP}    security_opt:\n      - seccomp:unconfined\n    deploy: { resources: { limits: { cpus: "64" } } }\n`.replace(
          '    deploy: { resources: { limits: { memory: 256M, pids: 128 } } }\n',
          '',
        ),
    });
    const synth = shipshape(['synth', '-o', 'out'], { cwd: dir });
    expect(synth.code).toBe(2);
    const check = shipshape(['check', '--only', 'compose', '--format', 'json'], { cwd: dir });
    expect(check.code).toBe(4);
    const findings = (
      JSON.parse(check.stdout) as { findings: { ruleId: string; location: { line: number } }[] }
    ).findings;
    for (const [rule, id] of [
      ['confinement-disabled', 'SS-COMPOSE-014'],
      ['fargate-unsupported', 'SS-COMPOSE-028'],
    ] as const) {
      const line = findings.find((f) => f.ruleId === id)!.location.line;
      expect(synth.stderr, rule).toMatch(new RegExp(`compose\\.yaml:${line}:\\d+: error: .*\\[${rule}\\]`));
    }
  });

  it('check --only cloud does not pass when it could not judge the cloud', () => {
    const dir = composeDir({ 'compose.yaml': `${APP}    privileged: true\n` });
    const r = shipshape(['check', '--only', 'cloud'], { cwd: dir });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/check incomplete: the cloud templates were not judged/);
    expect(r.stdout).not.toMatch(/check passed/);
  });
});

describe('bad input is a located exit 2, never a crash', () => {
  it('a directory as the Dockerfile, cpus: 64, an invalid image, a file that is not UTF-8', () => {
    const dockerfileDir = composeDir({ 'compose.yaml': 'services:\n  app:\n    build: .\n' });
    mkdirSync(join(dockerfileDir, 'Dockerfile'));
    const cases: [string, string[]][] = [
      [dockerfileDir, ['config']],
      [composeDir({ 'compose.yaml': 'services:\n  web:\n    image: "Node:20 <script>"\n' }), ['config']],
      [composeDir({ 'compose.yaml': `${APP}    cpus: 64\n` }), ['synth', '-o', 'out']],
    ];
    const latin1 = composeDir({});
    writeFileSync(
      join(latin1, 'compose.yaml'),
      Buffer.from('services:\n  web:\n    image: caf\xe9:1\n', 'latin1'),
    );
    cases.push([latin1, ['config']]);
    for (const [dir, args] of cases) {
      const r = shipshape(args, { cwd: dir });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/compose\.yaml:\d+:\d+: error|Dockerfile/);
      expect(r.stderr).not.toMatch(/bug in shipshape/);
    }
  });
});
