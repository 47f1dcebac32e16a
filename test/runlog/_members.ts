/**
 * The run-log store contract's fixtures (test/runlog/contract.test.ts, and the step-cache
 * contract, which builds each store to get its cache): for each registered store type, the
 * `run-log-store.config` of a store kept under a test's own folder.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { MemberHooks } from '../_members.js';
import { sharedS3 } from '../_s3.js';

export interface RunLogStoreFixture extends MemberHooks {
  /** the section's `config` for a store kept under `dir` (a fresh folder per test, also the working directory) */
  config(dir: string): unknown;
  /** environment the store reads its settings from (credentials); default: none */
  env?(): NodeJS.ProcessEnv;
  /** every file or object the store keeps under `dir`, relative to its folder or prefix (what `deleteRun` must leave no trace of a run in); absent for a store in memory */
  keys?(dir: string): Promise<string[]>;
}

const files = async (dir: string) => filesBelow(join(dir, 'logs'));
const objects = (dir: string) => sharedS3.keys(dir, 'runs');

export const runLogStoreMembers: Record<string, RunLogStoreFixture> = {
  'file-system': { config: (dir) => ({ log_folder: join(dir, 'logs') }), keys: files },
  'chunked-fs': { config: (dir) => ({ log_folder: join(dir, 'logs') }), keys: files },
  buffered: { config: () => ({}) },
  // object storage: s3rver on loopback, a prefix per test folder
  s3: { ...sharedS3, config: (dir) => sharedS3.config(dir, 'runs'), keys: objects },
  minio: { ...sharedS3, config: (dir) => sharedS3.config(dir, 'runs'), keys: objects },
  'chunked-s3': { ...sharedS3, config: (dir) => sharedS3.config(dir, 'runs'), keys: objects },
  'chunked-minio': { ...sharedS3, config: (dir) => sharedS3.config(dir, 'runs'), keys: objects },
};

/** every file (and empty folder) below `root`, relative, '/'-separated, sorted; [] when there is no `root` */
export function filesBelow(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory() || !readdirSync(join(e.parentPath, e.name)).length)
    .map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}
