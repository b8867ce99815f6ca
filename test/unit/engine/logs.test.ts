import { describe, expect, it } from 'vitest';
import { demuxLogs } from '../../../src/engine/logs.js';

const frame = (stream: number, text: string) => {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
};

describe('demuxLogs', () => {
  it('joins stdout and stderr frames in order, dropping the headers', () => {
    const buf = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err — two\n'), frame(1, 'out three\n')]);
    expect(demuxLogs(buf)).toBe('out one\nerr — two\nout three\n');
  });

  it('returns unframed (TTY) output as it is', () => {
    expect(demuxLogs(Buffer.from('plain text from a tty\n'))).toBe('plain text from a tty\n');
  });

  it('stops at bytes that are not a frame header', () => {
    expect(demuxLogs(Buffer.concat([frame(1, 'ok\n'), Buffer.from('garbage')]))).toBe('ok\n');
  });
});
