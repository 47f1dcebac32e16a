/**
 * The run-log store family: one registry keyed by the config's `type`. A new store is a new
 * file implementing `RunLogStore` (types.ts) plus one `register` line here; the contract suite
 * in test/runlog/contract.test.ts then runs against it.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { Registry } from '../registry.js';
import { BufferedRunLogStore } from './buffered.js';
import { ChunkedFsRunLogStore } from './chunked-fs.js';
import { FileSystemRunLogStore } from './file-system.js';
import type { RunLogStore } from './types.js';

const DEFAULT_LOG_FOLDER = '.run_log_store';
const folderConfig = z.strictObject({ log_folder: z.string().min(1).optional() });

export const runLogStores = new Registry<RunLogStore>('run-log-store')
  .register('file-system', {
    config: folderConfig,
    create: (c, env) => new FileSystemRunLogStore({ logFolder: resolve(env.cwd, c.log_folder ?? DEFAULT_LOG_FOLDER) }),
  })
  .register('chunked-fs', {
    config: folderConfig,
    create: (c, env) => new ChunkedFsRunLogStore({ logFolder: resolve(env.cwd, c.log_folder ?? DEFAULT_LOG_FOLDER) }),
  })
  .register('buffered', { config: z.strictObject({}), create: () => new BufferedRunLogStore() });

export { assemble, disassemble } from './assemble.js';
export { BufferedRunLogStore } from './buffered.js';
export { ChunkedFsRunLogStore, type ChunkedFsStoreOptions } from './chunked-fs.js';
export { FileSystemRunLogStore, type FileSystemStoreOptions } from './file-system.js';
export type * from './types.js';
