/**
 * Brands that recognise steps, pipelines and jobs made by any copy of the SDK (the CLI's and the
 * one a user's module imports may be two module instances), where `instanceof` would not; the
 * symbols are the model layer's (graph/brands.ts), typed here as the SDK's classes.
 */
import { JOB_BRAND, PIPELINE_BRAND, STEP_BRAND, describeValue, isBrandedJob, isBrandedPipeline, isBrandedStep } from '../graph/brands.js';
import type { Job } from './job.js';
import type { Pipeline } from './pipeline.js';
import type { Step } from './types.js';

export { JOB_BRAND, PIPELINE_BRAND, STEP_BRAND, describeValue };

/** Freezes a builder's result and marks it as a step. */
export function branded<S extends Step>(step: S): S {
  Object.defineProperty(step, STEP_BRAND, { value: true });
  return Object.freeze(step);
}

export const isStep = (v: unknown): v is Step => isBrandedStep(v);

export const isPipeline = (v: unknown): v is Pipeline => isBrandedPipeline(v);

/**
 * Whether `value` is a job built by `job(...)` (by any copy of the SDK).
 * @example isJob(job(hello)) // true
 */
export const isJob = (value: unknown): value is Job => isBrandedJob(value);
