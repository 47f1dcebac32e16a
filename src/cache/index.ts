/**
 * Step caching: the config section `step-cache` (modes), and which StepCache a run-log store
 * keeps, registered per store type (one line per store type). A store type without one (a
 * future remote store) simply caches nothing: its cached steps run and record why.
 * test/cache/step-cache.test.ts runs the StepCache contract against every registered type.
 */
import { join } from 'node:path';
import * as z from 'zod';
import { Family, Registry } from '../registry.js';
import type { RunLogStore } from '../runlog/types.js';
import { FileSystemStepCache } from './file-system.js';
import { MemoryStepCache } from './memory.js';
import { S3StepCache } from './s3.js';
import type { Bucket } from '../s3/bucket.js';
import type { CacheMode, CacheSettings, StepCache } from './types.js';

export type * from './types.js';
export { FileSystemStepCache } from './file-system.js';
export { MemoryStepCache } from './memory.js';
export { S3StepCache } from './s3.js';

/** Config `step-cache: {type: per-step | all}` (default `per-step`). */
export const cacheModes = new Registry<CacheMode>('step-cache')
  .register('per-step', { config: z.strictObject({}), create: () => 'per-step' as const })
  .register('all', { config: z.strictObject({}), create: () => 'all' as const });

/** A run-log store's step cache, made once per store instance; undefined when this instance cannot keep one. */
export type StepCacheFactory = (store: RunLogStore) => StepCache | undefined;

/** The step caches, by run-log store `type`. */
export const stepCaches = new Family<StepCacheFactory>('run-log-store');

/** A run-log store type's step cache; one more store is one more line. */
export function registerStepCache(storeType: string, factory: StepCacheFactory): void {
  stepCaches.register(storeType, factory);
}

/** `<log_folder>/.cache`, for a store that keeps its files in a folder on this disk. */
const besideLogFolder: StepCacheFactory = (store) => (store.logFolder ? new FileSystemStepCache(join(store.logFolder, '.cache')) : undefined);

registerStepCache('file-system', besideLogFolder);
registerStepCache('chunked-fs', besideLogFolder);
registerStepCache('buffered', () => new MemoryStepCache());

/** `PREFIX/.cache/` in the bucket of an S3 store (both keep theirs as `bucket`) */
const inStoreBucket: StepCacheFactory = (store) => new S3StepCache((store as unknown as { bucket: Bucket }).bucket);
for (const type of ['s3', 'minio', 'chunked-s3', 'chunked-minio']) registerStepCache(type, inStoreBucket);

/** One StepCache per store instance: a buffered store's cache lives exactly as long as the store. */
const perStore = new WeakMap<RunLogStore, StepCache | undefined>();

export function stepCacheFor(store: RunLogStore): StepCache | undefined {
  if (perStore.has(store)) return perStore.get(store);
  const cache = stepCaches.find(store.type)?.(store);
  perStore.set(store, cache);
  return cache;
}

/** The settings a run's tasks use: `mode` from the config, `bypass` from `--no-cache`. */
export function cacheSettings(store: RunLogStore, mode: CacheMode = 'per-step', bypass = false): CacheSettings {
  const index = stepCacheFor(store);
  return { mode, bypass, storeType: store.type, ...(index ? { index } : {}) };
}
