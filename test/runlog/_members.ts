/**
 * The run-log store contract's fixtures (test/runlog/contract.test.ts, and the step-cache
 * contract, which builds each store to get its cache): for each registered store type, the
 * `run-log-store.config` of a store kept under a test's own folder.
 */
import { join } from 'node:path';
import type { MemberHooks } from '../_members.js';
import { sharedS3 } from '../_s3.js';

export interface RunLogStoreFixture extends MemberHooks {
  /** the section's `config` for a store kept under `dir` (a fresh folder per test, also the working directory) */
  config(dir: string): unknown;
  /** environment the store reads its settings from (credentials); default: none */
  env?(): NodeJS.ProcessEnv;
}

export const runLogStoreMembers: Record<string, RunLogStoreFixture> = {
  'file-system': { config: (dir) => ({ log_folder: join(dir, 'logs') }) },
  'chunked-fs': { config: (dir) => ({ log_folder: join(dir, 'logs') }) },
  buffered: { config: () => ({}) },
  // object storage: s3rver on loopback, a prefix per test folder
  s3: { ...sharedS3, config: (dir) => sharedS3.config(dir, 'runs') },
  minio: { ...sharedS3, config: (dir) => sharedS3.config(dir, 'runs') },
  'chunked-s3': { ...sharedS3, config: (dir) => sharedS3.config(dir, 'runs') },
  'chunked-minio': { ...sharedS3, config: (dir) => sharedS3.config(dir, 'runs') },
};
