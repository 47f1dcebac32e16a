// Shared by the benchmarks: a temp working directory holding generated pipelines.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function workspace(files) {
  const dir = mkdtempSync(path.join(tmpdir(), 'runnable-bench-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const fmt = (n, digits = 3) => Number(n).toFixed(digits);
