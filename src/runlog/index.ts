/**
 * The run-log store family: one registry keyed by the config's `type`. A new store is a new
 * file implementing `RunLogStore` (types.ts) plus one `register` line here; the contract suite
 * in test/runlog/contract.test.ts then runs against it.
 */
import { resolve } from 'node:path';
import * as z from 'zod';
import { Registry } from '../registry.js';
import { BufferedRunLogStore } from './buffered.js';
import { ChunkedFsRunLogStore } from './chunked-fs.js';
import { ChunkedS3RunLogStore } from './chunked-s3.js';
import { S3RunLogStore } from './s3.js';
import { Bucket } from '../s3/bucket.js';
import { aliasHint, s3ConnectionConfig } from '../s3/config.js';
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

// object storage (SPEC §6); runnable's names `minio` / `chunked-minio` are aliases
for (const type of ['s3', 'minio']) {
  runLogStores.register(type, { config: s3ConnectionConfig, create: (c) => new S3RunLogStore({ bucket: new Bucket(c, aliasHint(type, c)), type }) });
}
for (const type of ['chunked-s3', 'chunked-minio']) {
  runLogStores.register(type, { config: s3ConnectionConfig, create: (c) => new ChunkedS3RunLogStore({ bucket: new Bucket(c, aliasHint(type, c)), type }) });
}

export { assemble, disassemble } from './assemble.js';
export { BufferedRunLogStore } from './buffered.js';
export { ChunkedFsRunLogStore, type ChunkedFsStoreOptions } from './chunked-fs.js';
export { FileSystemRunLogStore, type FileSystemStoreOptions } from './file-system.js';
export { S3RunLogStore, type S3StoreOptions } from './s3.js';
export { ChunkedS3RunLogStore } from './chunked-s3.js';
export type * from './types.js';
