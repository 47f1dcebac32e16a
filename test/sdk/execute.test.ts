/**
 * `Pipeline.execute()` really runs: each SDK twin, run in a fresh directory with its functions
 * loaded from test/fixtures/sdk, ends with the statuses and final parameters of its YAML twin
 * run through `executePipeline`. A failed run rejects with PipelineFailedError and its run log.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import { PipelineFailedError, pipeline, shell, task } from '../../src/sdk/index.js';
import { boom } from '../fixtures/sdk/functions.js';
import { TWINS } from '../fixtures/sdk/twins.js';
import { cleanEnv, runYamlTwin, statuses, tmpProject, values } from './_helpers.js';

const RUNS = ['sequential.yaml', 'parallel.yaml', 'map.yaml', 'conditional.yaml', 'loop.yaml', 'nested.yaml'];

describe.each(RUNS)('%s', (file) => {
  it('ends as its YAML twin does', async () => {
    const cwd = tmpProject();
    const log = await TWINS[file]!().execute({ cwd, env: cleanEnv(), runId: `sdk-${file.replace('.yaml', '')}` });
    const twin = await runYamlTwin(file);
    expect(log.status).toBe('SUCCESS');
    expect(twin.status).toBe('SUCCESS');
    expect(statuses(log)).toEqual(statuses(twin));
    expect(values(log.parameters)).toEqual(values(twin.parameters));
    expect(log.run_id).toBe(`sdk-${file.replace('.yaml', '')}`);
    expect(existsSync(join(cwd, '.run_log_store', `${log.run_id}.json`))).toBe(true);
  });
});

describe('results', () => {
  it('parameters reach the final run log as the SPEC says', async () => {
    const log = await TWINS['map.yaml']!().execute({ cwd: tmpProject(), env: cleanEnv() });
    expect(values(log.parameters)).toEqual({ items: 'json:[1,2,3]', sq: 'json:14' });
    const seq = await TWINS['sequential.yaml']!().execute({ cwd: tmpProject(), env: cleanEnv(), tag: 'nightly' });
    expect(statuses(seq)).toMatchObject({ start: 'SUCCESS', risky: 'FAIL', recover: 'SUCCESS', success: 'SUCCESS' });
    expect(seq.steps.after).toBeUndefined();
    expect(seq.tag).toBe('nightly');
    expect(seq.run_config.pipeline).toMatch(/test\/fixtures\/sdk\/twins\.ts$/);
  });
});

describe('a failed run', () => {
  it('rejects with PipelineFailedError carrying the run log, as the YAML twin fails', async () => {
    const cwd = tmpProject();
    const err = await TWINS['sequential-fail.yaml']!().execute({ cwd, env: cleanEnv(), runId: 'sdk-fails' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineFailedError);
    const failed = err as PipelineFailedError;
    expect(failed.runId).toBe('sdk-fails');
    expect(failed.runLog.status).toBe('FAIL');
    expect(failed.message).toMatch(/^run 'sdk-fails' ended FAIL: step 'risky' failed/);
    expect(failed.location).toContain('sdk-fails');
    const twin = await runYamlTwin('sequential-fail.yaml');
    expect(twin.status).toBe('FAIL');
    expect(statuses(failed.runLog)).toEqual(statuses(twin));
    expect(values(failed.runLog.parameters)).toEqual(values(twin.parameters));
    expect(failed.runLog.parameters.recovered).toEqual({ kind: 'metric', value: 11 });
  });

  it('names the deepest failed step and its message', async () => {
    const p = pipeline([shell('true', { name: 'ok' }), task(boom)]);
    const err = (await p.execute({ cwd: tmpProject(), env: cleanEnv() }).catch((e: unknown) => e)) as PipelineFailedError;
    expect(err).toBeInstanceOf(PipelineFailedError);
    expect(err.message).toMatch(/step 'boom' failed: .*boom: this step always fails/);
    expect(err.runLog.steps.boom!.status).toBe('FAIL');
  });

  it('reads env-secrets from the env it is given, not the process environment', async () => {
    const p = pipeline([shell('test "$SDK_TOKEN" = from-option && export seen=yes', { name: 'uses_secret', secrets: ['SDK_TOKEN'], returns: ['seen'] })]);
    expect(process.env.SDK_TOKEN).toBeUndefined();
    const log = await p.execute({ cwd: tmpProject(), env: cleanEnv({ SDK_TOKEN: 'from-option' }) });
    expect(log.parameters.seen).toEqual({ kind: 'json', value: 'yes' });
    // an absent secret is bad input, named before anything runs
    const err = (await p.execute({ cwd: tmpProject(), env: cleanEnv() }).catch((e: unknown) => e)) as RunnableError;
    expect(err).toBeInstanceOf(RunnableError);
    expect(err.message).toMatch(/secret 'SDK_TOKEN' is not set in the environment/);
  });

  it('bad input is a RunnableError before anything runs', async () => {
    const p = pipeline([shell('true', { name: 'ok' })]);
    const cwd = tmpProject();
    await expect(p.execute({ cwd, env: cleanEnv(), parametersFile: 'missing.yaml' })).rejects.toBeInstanceOf(RunnableError);
    await expect(p.execute({ cwd, env: cleanEnv(), runId: 'Not A Valid Id' })).rejects.toBeInstanceOf(RunnableError);
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);
  });
});
