/**
 * Brands that recognise steps and pipelines made by any copy of the SDK (the CLI's and the one a
 * user's module imports may be two module instances), where `instanceof` would not.
 */
import type { Pipeline } from './pipeline.js';
import type { Step } from './types.js';

export const STEP_BRAND = Symbol.for('runnable-ts.sdk.step');
export const PIPELINE_BRAND = Symbol.for('runnable-ts.sdk.pipeline');

/** Freezes a builder's result and marks it as a step. */
export function branded<S extends Step>(step: S): S {
  Object.defineProperty(step, STEP_BRAND, { value: true });
  return Object.freeze(step);
}

export const isStep = (v: unknown): v is Step => typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[STEP_BRAND] === true;

export const isPipeline = (v: unknown): v is Pipeline =>
  typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[PIPELINE_BRAND] === true;

/** What a value is, for messages: 'a pipeline', 'a string', 'nothing', ... */
export function describeValue(v: unknown): string {
  if (v === undefined || v === null) return `nothing (${String(v)})`;
  if (isPipeline(v)) return 'a pipeline';
  if (isStep(v)) return `a ${v.type} step`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'function') return `a function${v.name ? ` '${v.name}'` : ''}`;
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
