/**
 * The catalog contract's fixtures (test/catalog/contract.test.ts): for each registered catalog
 * type, the `catalog.config` of an instance whose files live under a test's own folder. The
 * contract builds it through the registry, as a config file would.
 */
import { join } from 'node:path';
import type { MemberHooks } from '../_members.js';
import { sharedS3 } from '../_s3.js';
import { filesBelow } from '../runlog/_members.js';

export interface CatalogFixture extends MemberHooks {
  /** the section's `config` for a catalog kept under `dir` (a fresh folder per test; the working directory is `dir/work`) */
  config(dir: string): unknown;
  /** environment the catalog reads its settings from (credentials); default: none */
  env?(): NodeJS.ProcessEnv;
  /** false for a catalog that keeps no files (`do-nothing`): the contract checks that it moves, records and keeps nothing */
  keepsFiles: boolean;
  /** every file or object the catalog keeps under `dir`, relative to its folder or prefix (what `deleteRun` must leave no trace of a run in) */
  keys?(dir: string): Promise<string[]>;
}

const objects = (dir: string) => sharedS3.keys(dir, 'catalog');

export const catalogMembers: Record<string, CatalogFixture> = {
  'file-system': { keepsFiles: true, config: (dir) => ({ catalog_location: join(dir, 'catalog') }), keys: async (dir) => filesBelow(join(dir, 'catalog')) },
  'do-nothing': { keepsFiles: false, config: () => ({}) },
  // object storage: s3rver on loopback, a prefix per test folder
  s3: { ...sharedS3, keepsFiles: true, config: (dir) => sharedS3.config(dir, 'catalog'), keys: objects },
  minio: { ...sharedS3, keepsFiles: true, config: (dir) => sharedS3.config(dir, 'catalog'), keys: objects },
};
