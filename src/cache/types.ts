/**
 * Step caching: a task whose code identity, input parameters and `get` files match a previous
 * successful attempt in the same run-log store is not run again; its outputs are restored.
 *
 * The index (`StepCache`) maps a cache key to the entry a successful attempt left, and each
 * step's resolved internal name to its latest entry (to say, on a miss, which input changed).
 * It lives beside the run-log store, never inside a run's log: `RunLogStore` is unchanged.
 */
import type { CommandType } from '../graph/model.js';
import type { Parameters } from '../runlog/types.js';

/** What a task's result depends on, each part hashed (sha256 hex) so entries stay small. */
export interface CacheInputs {
  kind: CommandType;
  /** the command text */
  command: string;
  /** the code behind the command: a TS function's source, a notebook's file, a Python module's file; '' for shell (the command is the code) */
  source: string;
  /** what the step declares it produces: returns, catalog `put`, `store_copy`, kind options */
  outputs: string;
  /** parameter name -> hash of its kind and value (objects: of their serialised bytes) */
  params: Record<string, string>;
  /** `get` file (catalog-relative) -> sha256 of its bytes */
  files: Record<string, string>;
}

/** A file the cached attempt put into its run's catalog. */
export interface CachedFile {
  /** relative to the working directory and to the run's catalog folder */
  name: string;
  data_hash: string;
  /** false for `store_copy: false`: only the hash was recorded, the catalog has no copy */
  stored: boolean;
}

/** What a successful attempt leaves in the index: enough to skip the step and restore its outputs. */
export interface CacheEntry {
  /** format version */
  v: 1;
  key: string;
  /** the step's resolved internal name */
  step: string;
  run_id: string;
  attempt_number: number;
  created_at: string;
  inputs: CacheInputs;
  output_parameters: Parameters;
  user_defined_metrics: Parameters;
  /** catalog-relative path of each object-kind output -> sha256 of its bytes */
  objects: Record<string, string>;
  files: CachedFile[];
  /** the source catalog's `catalog_handler_location`, reused for restored entries when this catalog has none */
  catalog_handler_location: string;
}

/** The index of cached entries of one run-log store. Lookups are O(1): no run is scanned. */
export interface StepCache {
  /** for messages */
  readonly location: string;
  lookup(key: string): Promise<CacheEntry | undefined>;
  /** the most recently saved entry of a step (resolved internal name) */
  latestFor(step: string): Promise<CacheEntry | undefined>;
  /** stores the entry under its key and as its step's latest; readers see the old entry or the new one */
  save(entry: CacheEntry): Promise<void>;
}

/**
 * Config `step-cache: {type}`: `per-step` (the default) caches the tasks that say `cache: true`;
 * `all` caches every task except those that say `cache: false`.
 */
export type CacheMode = 'per-step' | 'all';

/** What a run's tasks need to use the cache (`RunContext.cache`). */
export interface CacheSettings {
  mode: CacheMode;
  /** `--no-cache`: cached steps run anyway, record the miss, and refresh the cache on success */
  bypass: boolean;
  /** undefined when the run-log store keeps no cache (its type has no StepCache registered) */
  index?: StepCache;
  /** the run-log store's type, for the miss reason when `index` is undefined */
  storeType: string;
}
