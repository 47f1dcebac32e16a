/**
 * How any copy of the library marks the SDK's steps, pipelines and jobs: a user's module may
 * import another instance of runnable-ts than the command line's, so such objects are recognised
 * by `Symbol.for` brands, never by identity or `instanceof`. The SDK sets them (sdk/_brand.ts);
 * the loaders of pipeline and job modules (runner/load-module.ts) read them without importing the SDK.
 */
import type { Graph, TaskNode } from './model.js';

export const STEP_BRAND = Symbol.for('runnable-ts.sdk.step');
export const PIPELINE_BRAND = Symbol.for('runnable-ts.sdk.pipeline');
export const JOB_BRAND = Symbol.for('runnable-ts.sdk.job');

/** What the loaders use of a branded pipeline and job. */
export interface BrandedPipeline {
  graph: Graph;
  graphFor?(cwd: string): Graph;
}
export interface BrandedJob {
  taskFor(cwd: string): TaskNode;
}

const has = (v: unknown, brand: symbol): boolean => typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[brand] === true;

export const isBrandedStep = (v: unknown): v is { type: string } => has(v, STEP_BRAND);
export const isBrandedPipeline = (v: unknown): v is BrandedPipeline => has(v, PIPELINE_BRAND);
export const isBrandedJob = (v: unknown): v is BrandedJob => has(v, JOB_BRAND);

/** What a value is, for messages: 'a pipeline', 'a string', 'nothing', ... */
export function describeValue(v: unknown): string {
  if (v === undefined || v === null) return `nothing (${String(v)})`;
  if (isBrandedPipeline(v)) return 'a pipeline';
  if (isBrandedStep(v)) return `a ${v.type} step`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'function') return `a function${v.name ? ` '${v.name}'` : ''}`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
