/** The catalog family: config `catalog: {type, config}` (SPEC §6). */
import { resolve } from 'node:path';
import * as z from 'zod';
import { Registry } from '../registry.js';
import { DoNothingCatalog } from './do-nothing.js';
import { DEFAULT_CATALOG_LOCATION, FileSystemCatalog } from './file-system.js';
import { S3Catalog } from './s3.js';
import type { CatalogStore } from './types.js';
import { Bucket } from '../s3/bucket.js';
import { aliasHint, s3ConnectionConfig } from '../s3/config.js';

export type { CatalogStore, ClaimRecords, PutFile, PutOptions } from './types.js';

/** `catalog_location` is taken relative to the working directory the config applies to. */
export const catalogs = new Registry<CatalogStore>('catalog')
  .register('file-system', {
    config: z.strictObject({ catalog_location: z.string().min(1).optional() }),
    create: (c, env) => new FileSystemCatalog(resolve(env.cwd, c.catalog_location ?? DEFAULT_CATALOG_LOCATION)),
  })
  .register('do-nothing', {
    config: z.strictObject({}),
    create: () => new DoNothingCatalog(),
  });

// object storage (SPEC §6); runnable's name `minio` is an alias
for (const type of ['s3', 'minio']) catalogs.register(type, { config: s3ConnectionConfig, create: (c) => new S3Catalog(new Bucket(c, aliasHint(type, c)), type) });

export { catalogHashes, claimRecords, copyBetweenRuns } from './capabilities.js';
