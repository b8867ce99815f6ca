import { describe, expect, it } from 'vitest';
import { buildProgram, preferCommandFlags } from '../../../src/cli/program.js';

describe('a flag both global and the command’s own is the command’s after its name', () => {
  const program = buildProgram();
  const rewrite = (line: string) => preferCommandFlags(program, line.split(' ')).join(' ');

  it('logs -f follows; -f before the command and --file still name a compose file', () => {
    expect(rewrite('logs -f web')).toBe('logs --follow web');
    expect(rewrite('logs --env dev -f')).toBe('logs --env dev --follow');
    expect(rewrite('-f compose.yaml logs -f')).toBe('-f compose.yaml logs --follow');
    expect(rewrite('logs --file compose.yaml')).toBe('logs --file compose.yaml');
  });

  it('a compose file named like a command is not taken for the command', () => {
    expect(rewrite('-f logs logs -f')).toBe('-f logs logs --follow');
  });

  it('commands without their own -f, and everything after --, are left alone', () => {
    expect(rewrite('deploy -f other.yaml')).toBe('deploy -f other.yaml');
    expect(rewrite('run --env dev api -- ls -f')).toBe('run --env dev api -- ls -f');
    expect(rewrite('--version')).toBe('--version');
  });
});
