/** Builder options -> checked step fields, shared by the leaf and the composite builders. */
import type { CatalogSpec } from '../graph/model.js';
import { CATALOG_GET_ROOT, CATALOG_PUT_ROOT, catalogPatternProblem } from '../graph/rules.js';
import { checkOverrides, checkStrings, schemaError } from './_checks.js';
import { describeValue, isPipeline } from './_brand.js';
import type { CatalogOptions, StepOptions, Traversal } from './types.js';

export const STEP_OPTION_KEYS = ['onFailure', 'terminateWithSuccess', 'terminateWithFailure', 'overrides'] as const;
export const TASK_OPTION_KEYS = [...STEP_OPTION_KEYS, 'name', 'returns', 'catalog', 'maxAttempts', 'retryDelaySeconds', 'retryBackoffFactor', 'secrets', 'cache'] as const;

/** Options must be an object of known keys: a typo is an error, as in the YAML. */
export function checkKeys(opts: unknown, allowed: readonly string[], step: string | undefined, what = 'option'): Record<string, unknown> {
  if (opts === undefined) return {};
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw schemaError(`options must be an object, got ${describeValue(opts)}`, step);
  }
  for (const key of Object.keys(opts)) {
    if (!allowed.includes(key)) throw schemaError(`unknown ${what} '${key}' (allowed: ${allowed.join(', ')})`, step, key);
  }
  return opts as Record<string, unknown>;
}

export function traversalOf(opts: StepOptions, step: string): Traversal {
  const { onFailure, terminateWithSuccess, terminateWithFailure } = opts;
  if (onFailure !== undefined && !isPipeline(onFailure)) {
    throw schemaError(`onFailure must be a pipeline([...]), got ${describeValue(onFailure)}`, step, 'onFailure');
  }
  if (terminateWithSuccess && terminateWithFailure) {
    throw schemaError('a step cannot terminate with both success and failure', step, 'terminateWithFailure');
  }
  const traversal: { -readonly [K in keyof Traversal]: Traversal[K] } = { overrides: Object.freeze(checkOverrides(opts.overrides, step)) };
  if (onFailure) traversal.onFailure = onFailure;
  if (terminateWithSuccess) traversal.terminate = 'success';
  if (terminateWithFailure) traversal.terminate = 'fail';
  return Object.freeze(traversal);
}

export function catalogOf(opts: CatalogOptions | undefined, step: string): CatalogSpec | undefined {
  if (opts === undefined) return undefined;
  checkKeys(opts, ['get', 'put', 'storeCopy'], step, 'catalog option');
  if (opts.storeCopy !== undefined && typeof opts.storeCopy !== 'boolean') {
    throw schemaError(`catalog.storeCopy must be true or false`, step, 'catalog.storeCopy');
  }
  return Object.freeze({
    get: checkPatterns(checkStrings(opts.get, step, 'catalog.get'), CATALOG_GET_ROOT, step, 'catalog.get'),
    put: checkPatterns(checkStrings(opts.put, step, 'catalog.put'), CATALOG_PUT_ROOT, step, 'catalog.put'),
    storeCopy: opts.storeCopy ?? true,
  });
}

/** The YAML schema's rule (graph/rules.ts): a pattern that leaves its root fails where the pipeline is built. */
function checkPatterns(patterns: string[], root: string, step: string, field: string): string[] {
  patterns.forEach((p, i) => {
    const problem = catalogPatternProblem(p, root);
    if (problem) throw schemaError(problem, step, `${field}[${i}]`);
  });
  return patterns;
}
