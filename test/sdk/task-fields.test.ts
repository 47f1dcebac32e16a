/**
 * Every field a YAML task takes has an SDK option: a notebook step (the builder taking the most)
 * given every option writes YAML holding every field of the schema's task, with the values
 * given, and a job given every option writes every field of the job schema's. A field added to
 * src/yaml/schema.ts without an SDK option fails here.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { JobTaskSchema, TaskStepSchema } from '../../src/yaml/schema.js';
import { job, metric, notebook, pipeline, shell } from '../../src/sdk/index.js';

describe('SDK task options cover the YAML task fields', () => {
  it('a pipeline task', () => {
    const step = notebook('nb/explore.ipynb', {
      name: 'explore',
      returns: ['summary', metric('score')],
      catalog: { get: ['in/*.csv'], put: ['out/*.csv'], storeCopy: false },
      maxAttempts: 3,
      retryDelaySeconds: 2,
      retryBackoffFactor: 1.5,
      secrets: ['TOKEN'],
      cache: true,
      overrides: { slurm: 'big' },
      optionalPloomberArgs: { log_output: true },
      onFailure: pipeline([shell('echo cleanup', { name: 'cleanup' })]),
    });
    const yaml = parse(pipeline([step]).toYAML()) as { dag: { steps: Record<string, Record<string, unknown>> } };
    const written = yaml.dag.steps.explore!;
    expect(Object.keys(written).sort()).toEqual(Object.keys(TaskStepSchema.shape).sort());
    expect(written).toMatchObject({
      type: 'task',
      command_type: 'notebook',
      command: 'nb/explore.ipynb',
      returns: ['summary', { name: 'score', kind: 'metric' }],
      catalog: { get: ['in/*.csv'], put: ['out/*.csv'], store_copy: false },
      max_attempts: 3,
      retry_delay_seconds: 2,
      retry_backoff_factor: 1.5,
      secrets: ['TOKEN'],
      cache: true,
      overrides: { slurm: 'big' },
      optional_ploomber_args: { log_output: true },
      next: 'success',
      on_failure: 'cleanup',
    });
  });

  it('a job task (no cache, next or on_failure: a job always runs, alone)', () => {
    const j = job(
      notebook('nb/explore.ipynb', {
        name: 'explore',
        returns: ['summary'],
        catalog: { put: ['out/*.csv'] },
        maxAttempts: 2,
        retryDelaySeconds: 1,
        retryBackoffFactor: 2,
        secrets: ['TOKEN'],
        overrides: { slurm: 'big' },
        optionalPloomberArgs: { log_output: true },
      }),
    );
    const written = (parse(j.toYAML()) as { job: Record<string, unknown> }).job;
    expect(Object.keys(written).sort()).toEqual(Object.keys(JobTaskSchema.shape).sort());
    expect(written).toMatchObject({ max_attempts: 2, retry_delay_seconds: 1, retry_backoff_factor: 2 });
  });
});
