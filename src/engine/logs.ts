import type Docker from 'dockerode';

/**
 * Decode the engine's multiplexed log framing (an 8-byte header per frame: stream type 0/1/2,
 * three zero bytes, a big-endian length) into text. Output of a container with a TTY has no
 * framing and is returned as is. Written by hand: dockerode only demultiplexes live streams
 * (`modem.demuxStream`), not the buffers `logs()` and exec return.
 */
export function demuxLogs(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && buf[i]! <= 2 && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return i === 0 ? buf.toString('utf8') : Buffer.concat(out).toString('utf8');
}

/** Last `n` log lines of a container, for error messages; empty when the engine cannot say. */
export async function lastLogLines(docker: Docker, id: string, n = 20): Promise<string> {
  try {
    const buf = (await docker
      .getContainer(id)
      .logs({ stdout: true, stderr: true, tail: n })) as unknown as Buffer;
    return demuxLogs(buf).trimEnd();
  } catch {
    return '';
  }
}
