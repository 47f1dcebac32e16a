/** Direct fd writes: task output captured from process.stdout must not loop back into the capture. */
import { writeSync } from 'node:fs';

export function writeFd(fd: number, chunk: string | Uint8Array): void {
  let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  for (let spins = 0; buf.length && spins < 10_000; ) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (err) {
      // a full non-blocking pipe: try again; a closed one (`| head`) must not kill the run
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      spins++;
    }
  }
}
