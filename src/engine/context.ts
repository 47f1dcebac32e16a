/**
 * What executing a step depends on: the pipeline, the run log, the catalog, the secrets and the
 * step's internal name plus iteration frames. Nothing else is carried from one step to the next,
 * so any step can run in a fresh process (`execute-single-node`).
 */
import type { CacheSettings } from '../cache/types.js';
import type { CatalogStore } from '../catalog/types.js';
import type { Pipeline } from '../graph/model.js';
import type { RunLogAccess } from '../runlog/access.js';
import type { CodeIdentity, Status } from '../runlog/types.js';
import type { SecretsStore } from '../secrets/types.js';

/** Progress of a run, for the terminal reporter or any other listener. */
export interface RunObserver {
  stepStarted?(e: { internalName: string; type: string; attempt?: number }): void;
  /** `cached`: a task whose outputs were restored from the step cache instead of running it */
  stepFinished?(e: { internalName: string; type: string; status: Status; durationMs: number; message?: string; cached?: boolean }): void;
  /** a step skipped by `retry` because it succeeded before */
  stepSkipped?(e: { internalName: string; type: string }): void;
  /** a composite's branches about to run (a loop: each iteration's) */
  branchesOpened?(e: { internalName: string; type: string; branches: string[] }): void;
  branchStarted?(e: { internalName: string }): void;
  branchFinished?(e: { internalName: string; status: Status }): void;
  /** a task's output, as it is produced; `stream` 1 stdout, 2 stderr */
  output?(internalName: string, stream: 1 | 2, chunk: string | Uint8Array): void;
  /**
   * what the runner decided or started, for `--log-level debug` (the resolved configuration, each
   * command a launcher runs); one line, never a step's output, never recorded in the run log
   */
  debug?(line: string): void;
}

/** Every event of a `RunObserver`, for observers that forward them to others. */
export const OBSERVER_EVENTS = ['stepStarted', 'stepFinished', 'stepSkipped', 'branchesOpened', 'branchStarted', 'branchFinished', 'output', 'debug'] as const satisfies readonly (keyof RunObserver)[];

/**
 * One observer telling both of every event, `a` first. `onThrow`: `b` is someone else's code (a
 * program's observer): what it throws goes there and the run goes on.
 */
export function bothObservers(a: RunObserver | undefined, b: RunObserver | undefined, onThrow?: (event: string, err: unknown) => void): RunObserver {
  if (!a && !onThrow) return b ?? {};
  if (!b && !onThrow) return a ?? {};
  const out: Record<string, unknown> = {};
  for (const key of OBSERVER_EVENTS) {
    const fa = a?.[key] as ((...args: unknown[]) => void) | undefined;
    const fb = b?.[key] as ((...args: unknown[]) => void) | undefined;
    if (!fa && !fb) continue;
    out[key] = (...args: unknown[]) => {
      fa?.apply(a, args);
      if (!fb) return;
      if (!onThrow) return void fb.apply(b, args);
      try {
        fb.apply(b, args);
      } catch (e) {
        onThrow(key, e);
      }
    };
  }
  return out as RunObserver;
}

export interface RunContext {
  runId: string;
  pipeline: Pipeline;
  cwd: string;
  log: RunLogAccess;
  catalog: CatalogStore;
  secrets: SecretsStore;
  observer: RunObserver;
  signal: AbortSignal;
  codeIdentity: () => Promise<CodeIdentity>;
  /**
   * `retry`: steps and branches that succeeded before are skipped, the others continue with a
   * new attempt; composites resume from their branches' records
   */
  retrying: boolean;
  /**
   * the configuration file this run was started (or retried) with, as given (relative to `cwd`
   * or absolute); executors that run steps in other processes pass it on (`execute-single-node -c`)
   */
  configFile?: string;
  /**
   * step caching: the config's `step-cache` mode, `--no-cache`, the store's index; when absent
   * (a step in its own process) they are read from the run header's `run_config`
   */
  cache?: CacheSettings;
  /** `object_serialisation: false` (local executor): object parameters kept in this process, unserialised */
  objectsInMemory?: Map<string, unknown>;
  /**
   * extra environment variables for the process of a step run elsewhere (a protocol command's
   * `env`, which every launcher passes on), e.g. W3C `TRACEPARENT`; `type`: the node's type
   * (task, stub, map, ...); absent: none
   */
  commandEnv?: (internalName: string, type: string) => Record<string, string>;
}
