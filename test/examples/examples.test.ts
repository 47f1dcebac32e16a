/**
 * End-to-end tests of examples/: each example pipeline runs through the built CLI
 * (`node bin/runnable.js execute examples/... --json`) in a fresh copy of examples/, with the
 * environment runnable's own example tests use (RUNNABLE_PRM_envvar="from env",
 * FIX_RANDOM_TOSS=heads). The assertions follow runnable's tests/test_pipeline_examples.py
 * and tests/assertions.py: the run's status and exit code, which steps ran and how they
 * ended, branch counts and names, parameter values in and out of steps, metrics, catalog
 * entries and files, and the task logs in the catalog.
 *
 * As in runnable's run logs, the implicit terminal step a run or branch reaches (`success` or
 * `fail`) is recorded as a step.
 */
import { spawn } from 'node:child_process';
import { readdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DATA_TXT, DF_CSV } from '../../examples/common/functions.js';
import {
  CLI,
  EXAMPLE_ENV,
  REPO,
  RUN_LOG_FOLDER,
  allBranches,
  allSteps,
  attempt,
  branch,
  branchKeys,
  catalogDir,
  catalogFiles,
  dataEntries,
  expectStep,
  expectTaskLogs,
  expectWellFormedRun,
  kinds,
  parseJsonSummary,
  readCatalogFile,
  sha256,
  step,
  stepKeys,
  testedPipelines,
  useExample,
  values,
  type ExampleRun,
  type RunOptions,
} from './_run.js';
import type { Parameters, RunLog, StepLog } from '../../src/runlog/types.js';

/** The initial parameters of examples/common/initial_parameters.yaml plus RUNNABLE_PRM_envvar. */
const INITIAL = {
  integer: 1,
  floater: 3.14,
  stringer: 'hello',
  pydantic_param: { x: 10, foo: 'bar' },
  chunks: [1, 2, 3],
  envvar: 'from env',
};

const inputs = (run: ExampleRun, name: string) => values(attempt(step(run.runLog, name)).input_parameters);
const outputs = (run: ExampleRun, name: string) => values(attempt(step(run.runLog, name)).output_parameters);
/** `{kind, value}` of one parameter (other fields, like runnable's `description`, left out). */
const param = (params: Parameters, name: string) => {
  const p = params[name];
  return p && { kind: p.kind, value: p.value };
};
const prefixed = (prefix: string, names: string[]) => names.map((n) => `${prefix}.${n}`);

// -------------------------------------------------------------------------------------------
describe('01-tasks', () => {
  describe('typescript_tasks.yaml', () => {
    const run = useExample('examples/01-tasks/typescript_tasks.yaml');

    it('succeeds with a well-formed run log', () => {
      expectWellFormedRun(run());
      expect(run().exitCode).toBe(0);
      expect(run().json.status).toBe('SUCCESS');
    });

    it('runs hello, then reaches success', () => {
      const log = run().runLog;
      expect(stepKeys(log)).toEqual(['hello', 'success']);
      const hello = expectStep(log, 'hello', 'task', 'SUCCESS');
      expect(attempt(hello).status).toBe('SUCCESS');
      expect(attempt(hello).output_parameters).toEqual({});
      expect(step(log, 'success').step_type).toBe('success');
    });

    it("keeps the function's stdout and stderr as a log file in the catalog", () => {
      expectTaskLogs(run(), 'hello', 'Hello World!');
      expectTaskLogs(run(), 'hello', 'This is a warning message.');
    });
  });

  describe('scripts.yaml', () => {
    const run = useExample('examples/01-tasks/scripts.yaml');

    it('succeeds', () => {
      expectWellFormedRun(run());
      expect(run().json.status).toBe('SUCCESS');
      expect(stepKeys(run().runLog)).toEqual(['shell', 'success']);
      expectStep(run().runLog, 'shell', 'task', 'SUCCESS');
    });

    it("keeps the command's output as a log file in the catalog", () => {
      expectTaskLogs(run(), 'shell', 'hello world!!');
    });
  });

  describe('stub.yaml', () => {
    const run = useExample('examples/01-tasks/stub.yaml');

    it('passes through three stubs (with arbitrary keys) to success', () => {
      expectWellFormedRun(run());
      expect(run().json.status).toBe('SUCCESS');
      expect(stepKeys(run().runLog)).toEqual(['step 1', 'step 2', 'step 3', 'success']);
      for (const name of ['step 1', 'step 2', 'step 3']) expectStep(run().runLog, name, 'stub', 'SUCCESS');
    });
  });
});

// -------------------------------------------------------------------------------------------
describe('02-sequential', () => {
  describe('traversal.yaml', () => {
    const run = useExample('examples/02-sequential/traversal.yaml');

    it('runs stub, typescript, shell and async typescript steps in order', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['hello stub', 'hello typescript', 'hello shell', 'hello async', 'success']);
      expectStep(log, 'hello stub', 'stub', 'SUCCESS');
      expectStep(log, 'hello typescript', 'task', 'SUCCESS');
      expectStep(log, 'hello shell', 'task', 'SUCCESS');
      expectStep(log, 'hello async', 'task', 'SUCCESS');
      // async_hello returns a value, but the step names no returns: nothing is recorded
      expect(attempt(step(log, 'hello async')).output_parameters).toEqual({});
    });

    it('keeps a log file per task', () => {
      expectTaskLogs(run(), 'hello typescript', 'Hello World!');
      expectTaskLogs(run(), 'hello shell', 'Hello World!');
      expectTaskLogs(run(), 'hello async', 'Hello from async!');
    });
  });

  describe('default_fail.yaml', () => {
    const run = useExample('examples/02-sequential/default_fail.yaml');

    it('fails with exit code 1', () => {
      expectWellFormedRun(run());
      expect(run().exitCode).toBe(1);
      expect(run().json.status).toBe('FAIL');
      expect(run().runLog.status).toBe('FAIL');
    });

    it('runs step 1, fails at step 2 and never runs step 3', () => {
      const log = run().runLog;
      expect(stepKeys(log)).toEqual(['step 1', 'step 2', 'fail']);
      expectStep(log, 'step 1', 'stub', 'SUCCESS');
      const failed = expectStep(log, 'step 2', 'task', 'FAIL');
      expect(attempt(failed).status).toBe('FAIL');
      expect(failed.message).toContain('This is an exception');
      expect(step(log, 'fail').step_type).toBe('fail');
      expect(log.steps['step 3']).toBeUndefined();
    });
  });

  describe('on_failure_fail.yaml', () => {
    const run = useExample('examples/02-sequential/on_failure_fail.yaml');

    it('goes from the failed step_1 to step_4, then fails', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(run().exitCode).toBe(1);
      expect(log.status).toBe('FAIL');
      expect(stepKeys(log)).toEqual(['step_1', 'step_4', 'fail']);
      expectStep(log, 'step_1', 'task', 'FAIL');
      expectStep(log, 'step_4', 'stub', 'SUCCESS');
      expect(log.steps['step_2']).toBeUndefined();
      expect(log.steps['step_3']).toBeUndefined();
    });
  });

  describe('on_failure_succeed.yaml', () => {
    const run = useExample('examples/02-sequential/on_failure_succeed.yaml');

    it('goes from the failed step_1 to step_4, then succeeds', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(run().exitCode).toBe(0);
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['step_1', 'step_4', 'success']);
      expectStep(log, 'step_1', 'task', 'FAIL');
      expectStep(log, 'step_4', 'stub', 'SUCCESS');
    });
  });

  describe('conditional.yaml (heads)', () => {
    const run = useExample('examples/02-sequential/conditional.yaml');

    it('runs only the heads branch, then continues', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['toss_task', 'conditional', 'continue to', 'success']);
      expect(outputs(run(), 'toss_task')).toEqual({ toss: 'heads' });
      const cond = expectStep(log, 'conditional', 'conditional', 'SUCCESS');
      expect(branchKeys(cond)).toEqual(['conditional.heads']);
      const heads = branch(log, 'conditional.heads');
      expect(heads.status).toBe('SUCCESS');
      expect(stepKeys(heads)).toEqual(prefixed('conditional.heads', ['when_heads_task', 'success']));
      expectStep(log, 'conditional.heads.when_heads_task', 'task', 'SUCCESS');
      expectStep(log, 'continue to', 'stub', 'SUCCESS');
      expect(param(log.parameters, 'toss')).toEqual({ kind: 'json', value: 'heads' });
      expectTaskLogs(run(), 'when_heads_task', 'when_heads_function called');
    });
  });

  describe('conditional.yaml (tails)', () => {
    const run = useExample('examples/02-sequential/conditional.yaml', { env: { FIX_RANDOM_TOSS: 'tails' } });

    it('runs only the tails branch', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(branchKeys(step(log, 'conditional'))).toEqual(['conditional.tails']);
      expect(stepKeys(branch(log, 'conditional.tails'))).toEqual(prefixed('conditional.tails', ['when_tails_task', 'success']));
      expectTaskLogs(run(), 'when_tails_task', 'when_tails_function called');
    });
  });

  describe('conditional_rollback.yaml', () => {
    const run = useExample('examples/02-sequential/conditional_rollback.yaml');

    it('makes the parameter returned in the branch that ran visible after the conditional', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['decide', 'conditional', 'verify', 'success']);
      expect(branchKeys(expectStep(log, 'conditional', 'conditional', 'SUCCESS'))).toEqual(['conditional.heads']);
      expect(branch(log, 'conditional.heads').status).toBe('SUCCESS');
      expect(stepKeys(branch(log, 'conditional.heads'))).toHaveLength(2);
      expect(outputs(run(), 'conditional.heads.heads_task')).toEqual({ branch_param: 'heads_value' });
      expect(inputs(run(), 'verify')).toMatchObject({ branch_param: 'heads_value' });
      expectStep(log, 'verify', 'task', 'SUCCESS');
      expect(values(log.parameters)).toMatchObject({ choice: 'heads', branch_param: 'heads_value' });
    });
  });
});

// -------------------------------------------------------------------------------------------
describe('03-parameters', () => {
  describe('static_parameters_typescript.yaml', () => {
    const run = useExample('examples/03-parameters/static_parameters_typescript.yaml', { params: true });

    it('succeeds', () => {
      expectWellFormedRun(run());
      expect(run().json.status).toBe('SUCCESS');
      expect(stepKeys(run().runLog)).toEqual(['read_params_as_pydantic', 'read_params_as_json', 'success']);
      expectStep(run().runLog, 'read_params_as_pydantic', 'task', 'SUCCESS');
      expectStep(run().runLog, 'read_params_as_json', 'task', 'SUCCESS');
    });

    it('binds the initial parameters and RUNNABLE_PRM_envvar by name', () => {
      const { integer, floater, stringer, pydantic_param, envvar } = INITIAL;
      expect(inputs(run(), 'read_params_as_pydantic')).toMatchObject({ integer, floater, stringer, pydantic_param, envvar });
      // a single destructured object parameter binds its property names
      expect(inputs(run(), 'read_params_as_json')).toMatchObject({ integer, floater, stringer, pydantic_param });
      expect(outputs(run(), 'read_params_as_pydantic')).toEqual({});
      expect(outputs(run(), 'read_params_as_json')).toEqual({});
    });

    it('records the initial parameters as the run parameters, all json', () => {
      const params = run().runLog.parameters;
      expect(values(params)).toEqual(INITIAL);
      expect(new Set(Object.values(kinds(params)))).toEqual(new Set(['json']));
    });
  });

  describe('static_parameters_non_python.yaml', () => {
    const run = useExample('examples/03-parameters/static_parameters_non_python.yaml', { params: true });

    it('hands every parameter to shell steps as an env var (non-strings as JSON)', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['read_params_in_env', 'read_params_in_shell', 'success']);
      expectStep(log, 'read_params_in_env', 'task', 'SUCCESS');
      expectStep(log, 'read_params_in_shell', 'task', 'SUCCESS');
      expect(inputs(run(), 'read_params_in_env')).toMatchObject({ chunks: [1, 2, 3], envvar: 'from env' });
      const { integer, floater, stringer, pydantic_param } = INITIAL;
      expect(inputs(run(), 'read_params_in_shell')).toMatchObject({ integer, floater, stringer, pydantic_param });
      expectTaskLogs(run(), 'read_params_in_env', 'yaay');
      expectTaskLogs(run(), 'read_params_in_shell', 'yaay');
      expect(values(log.parameters)).toEqual(INITIAL);
    });
  });

  describe('static_parameters_fail.yaml', () => {
    const run = useExample('examples/03-parameters/static_parameters_fail.yaml', { params: true });

    it('handles the failure with a step that reads the parameters, and succeeds', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(run().exitCode).toBe(0);
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['read_params_and_fail', 'read_params_in_typescript', 'success']);
      expect(expectStep(log, 'read_params_and_fail', 'task', 'FAIL').message).toContain('This is an exception');
      expectStep(log, 'read_params_in_typescript', 'task', 'SUCCESS');
      const { integer, floater, stringer, pydantic_param, envvar } = INITIAL;
      expect(inputs(run(), 'read_params_in_typescript')).toMatchObject({ integer, floater, stringer, pydantic_param, envvar });
    });
  });

  describe('passing_parameters_typescript.yaml', () => {
    const run = useExample('examples/03-parameters/passing_parameters_typescript.yaml');
    const JSON_VALUES = { integer: 1, floater: 3.14, stringer: 'hello', pydantic_param: { x: 10, foo: 'bar' } };

    it('succeeds', () => {
      expectWellFormedRun(run());
      expect(run().json.status).toBe('SUCCESS');
      expect(stepKeys(run().runLog)).toEqual(['set_parameter', 'get_parameters', 'success']);
      expectStep(run().runLog, 'set_parameter', 'task', 'SUCCESS');
      expectStep(run().runLog, 'get_parameters', 'task', 'SUCCESS');
    });

    it('names the returned array positionally, with json, object and metric kinds', () => {
      const out = attempt(step(run().runLog, 'set_parameter')).output_parameters;
      expect(Object.keys(out).sort()).toEqual(['df', 'floater', 'integer', 'pydantic_param', 'score', 'stringer']);
      expect(kinds(out)).toEqual({
        df: 'object',
        integer: 'json',
        floater: 'json',
        stringer: 'json',
        pydantic_param: 'json',
        score: 'metric',
      });
      expect(values(out)).toMatchObject({ ...JSON_VALUES, score: 0.9 });
    });

    it('records an object parameter as a reference to a file in the catalog', () => {
      const df = attempt(step(run().runLog, 'set_parameter')).output_parameters['df']!;
      expect(typeof df.value).toBe('string');
      const ref = df.value as string;
      const stored =
        existsSync(join(catalogDir(run()), ref)) ||
        existsSync(join(run().cwd, '.catalog', ref)) ||
        // runnable's convention: the value names the object, the file adds the serialiser's extension
        catalogFiles(run()).some((f) => f.startsWith(`${ref}.`));
      expect(stored, `object 'df' stored in the catalog as ${ref}; catalog: ${JSON.stringify(catalogFiles(run()))}`).toBe(true);
    });

    it("records the metric in the attempt's user_defined_metrics", () => {
      const a = attempt(step(run().runLog, 'set_parameter'));
      expect(values(a.user_defined_metrics)).toEqual({ score: 0.9 });
      expect(kinds(a.user_defined_metrics)).toEqual({ score: 'metric' });
    });

    it('hands every returned value, the object included, to the next step', () => {
      const inp = attempt(step(run().runLog, 'get_parameters')).input_parameters;
      expect(values(inp)).toMatchObject({ ...JSON_VALUES, score: 0.9 });
      expect(inp['df']?.kind).toBe('object');
      expect(attempt(step(run().runLog, 'get_parameters')).output_parameters).toEqual({});
    });

    it('ends with the returned values as the run parameters', () => {
      const params = run().runLog.parameters;
      expect(values(params)).toMatchObject({ ...JSON_VALUES, score: 0.9, envvar: 'from env' });
      expect(params['df']?.kind).toBe('object');
      expect(params['score']?.kind).toBe('metric');
    });
  });

  describe('passing_parameters_shell.yaml', () => {
    const run = useExample('examples/03-parameters/passing_parameters_shell.yaml');
    const RETURNED = { integer: 1, floater: 3.14, stringer: 'hello', pydantic_param: { x: 10, foo: 'bar' }, score: 0.9 };

    it('succeeds', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['write_parameter', 'read_parameters', 'read_parameters_in_shell', 'success']);
      for (const name of ['write_parameter', 'read_parameters', 'read_parameters_in_shell']) expectStep(log, name, 'task', 'SUCCESS');
    });

    it('reads returns from exported env vars, parsed as JSON when they are JSON', () => {
      const a = attempt(step(run().runLog, 'write_parameter'));
      expect(values(a.output_parameters)).toEqual(RETURNED);
      expect(kinds(a.output_parameters)).toEqual({
        integer: 'json',
        floater: 'json',
        stringer: 'json',
        pydantic_param: 'json',
        score: 'metric',
      });
      expect(values(a.user_defined_metrics)).toEqual({ score: 0.9 });
      expect(kinds(a.user_defined_metrics)).toEqual({ score: 'metric' });
    });

    it('hands them to a TypeScript step and to a shell step', () => {
      expect(inputs(run(), 'read_parameters')).toMatchObject(RETURNED);
      expect(outputs(run(), 'read_parameters')).toEqual({});
      const { score: _score, ...usedByShell } = RETURNED;
      expect(inputs(run(), 'read_parameters_in_shell')).toMatchObject(usedByShell);
      expect(outputs(run(), 'read_parameters_in_shell')).toEqual({});
      expectTaskLogs(run(), 'read_parameters_in_shell', 'yaay');
      expect(values(run().runLog.parameters)).toMatchObject({ ...RETURNED, envvar: 'from env' });
    });
  });
});

// -------------------------------------------------------------------------------------------
describe('04-catalog', () => {
  const DF = { name: 'df.csv', data_hash: sha256(DF_CSV) };
  const DATA = { name: 'data_folder/data.txt', data_hash: sha256(DATA_TXT) };

  const expectEntries = (s: ReturnType<typeof step>, expected: { name: string; data_hash: string; stage: string }[]) => {
    const entries = dataEntries(s);
    expect(entries.map(({ name, data_hash, stage }) => ({ name, data_hash, stage })), `data_catalog of ${s.internal_name}`).toEqual(expected);
    for (const e of entries) {
      expect(e.catalog_relative_path.split(sep).join('/')).toContain(e.name);
      expect(typeof e.catalog_handler_location).toBe('string');
    }
  };

  describe('catalog.yaml', () => {
    const run = useExample('examples/04-catalog/catalog.yaml');
    const STEPS = [
      'generate_data',
      'delete_after_generate',
      'read_data_typescript',
      'delete_after_typescript_get',
      'read_data_shell',
      'delete_after_shell_get',
      'write_report',
      'check_report_not_copied',
    ];

    it('succeeds', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual([...STEPS, 'success']);
      for (const name of STEPS) expectStep(log, name, 'task', 'SUCCESS');
    });

    it('records the files put by name and by folder glob, with their sha256', () => {
      expectEntries(step(run().runLog, 'generate_data'), [
        { ...DATA, stage: 'put' },
        { ...DF, stage: 'put' },
      ]);
    });

    it('records the files each reader got back from the catalog', () => {
      for (const name of ['read_data_typescript', 'read_data_shell']) {
        expectEntries(step(run().runLog, name), [
          { ...DATA, stage: 'get' },
          { ...DF, stage: 'get' },
        ]);
      }
      for (const name of ['delete_after_generate', 'delete_after_typescript_get', 'delete_after_shell_get', 'check_report_not_copied']) {
        expect(dataEntries(step(run().runLog, name)), `data_catalog of ${name}`).toEqual([]);
      }
    });

    it('keeps copies of the files put in .catalog/<run_id>/', () => {
      expect(readCatalogFile(run(), 'df.csv')).toBe(DF_CSV);
      expect(readCatalogFile(run(), 'data_folder/data.txt')).toBe(DATA_TXT);
      // the working directory no longer has them: the readers really got them from the catalog
      expect(existsSync(join(run().cwd, 'df.csv'))).toBe(false);
    });

    it('records but does not copy a file put with store_copy: false', () => {
      expectEntries(step(run().runLog, 'write_report'), [{ name: 'reports/summary.txt', data_hash: sha256('rows=3\n'), stage: 'put' }]);
      expect(catalogFiles(run())).not.toContain('reports/summary.txt');
      expect(readFileSync(join(run().cwd, 'reports/summary.txt'), 'utf-8')).toBe('rows=3\n');
      expectTaskLogs(run(), 'check_report_not_copied', 'not copied');
    });
  });

  describe('catalog_no_copy.yaml', () => {
    const run = useExample('examples/04-catalog/catalog_no_copy.yaml');

    it('records the files with their hashes but copies nothing', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['generate_data_typescript', 'delete_after_generate', 'check_files_do_not_exist', 'success']);
      expectStep(log, 'generate_data_typescript', 'task', 'SUCCESS');
      expectStep(log, 'check_files_do_not_exist', 'task', 'SUCCESS');
      expectEntries(step(log, 'generate_data_typescript'), [
        { ...DATA, stage: 'put' },
        { ...DF, stage: 'put' },
      ]);
      const files = catalogFiles(run());
      expect(files).not.toContain('df.csv');
      expect(files).not.toContain('data_folder/data.txt');
    });
  });

  describe('catalog_on_fail.yaml', () => {
    const run = useExample('examples/04-catalog/catalog_on_fail.yaml');

    it('puts nothing for a failed step, and recovers through on_failure', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(run().exitCode).toBe(0);
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['fail_immediately', 'success node', 'success']);
      expectStep(log, 'fail_immediately', 'task', 'FAIL');
      expectStep(log, 'success node', 'stub', 'SUCCESS');
      expect(dataEntries(step(log, 'fail_immediately')).filter((d) => d.stage === 'put')).toEqual([]);
      expect(catalogFiles(run())).not.toContain('df.csv');
      expect(existsSync(join(run().cwd, 'df.csv'))).toBe(true);
    });
  });
});

// -------------------------------------------------------------------------------------------
describe('06-parallel', () => {
  const TRAVERSAL = ['hello stub', 'hello typescript', 'hello shell', 'hello async', 'success'];

  describe('parallel.yaml', () => {
    const run = useExample('examples/06-parallel/parallel.yaml');

    it('runs both branches, then continues', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['parallel_step', 'continue_to', 'success']);
      const par = expectStep(log, 'parallel_step', 'parallel', 'SUCCESS');
      expect(branchKeys(par).sort()).toEqual(['parallel_step.branch1', 'parallel_step.branch2']);
      for (const b of ['branch1', 'branch2']) {
        const bl = branch(log, `parallel_step.${b}`);
        expect(bl.status).toBe('SUCCESS');
        expect(stepKeys(bl)).toEqual(prefixed(`parallel_step.${b}`, TRAVERSAL));
        expectStep(log, `parallel_step.${b}.hello stub`, 'stub', 'SUCCESS');
        for (const t of ['hello typescript', 'hello shell', 'hello async']) expectStep(log, `parallel_step.${b}.${t}`, 'task', 'SUCCESS');
      }
      expectStep(log, 'continue_to', 'stub', 'SUCCESS');
    });

    it('keeps a log file per task of each branch', () => {
      expectTaskLogs(run(), 'hello typescript', 'Hello World!', 2);
      expectTaskLogs(run(), 'hello shell', 'Hello World!', 2);
      expectTaskLogs(run(), 'hello async', 'Hello from async!', 2);
    });
  });

  describe('nesting.yaml', () => {
    const run = useExample('examples/06-parallel/nesting.yaml', { params: true, timeoutMs: 300_000 });
    const SIMPLE = ['hello stub', 'hello typescript', 'hello shell', 'success'];

    it('runs a parallel of maps of parallels to success', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['outer_parallel', 'success']);
      const outer = expectStep(log, 'outer_parallel', 'parallel', 'SUCCESS');
      expect(branchKeys(outer).sort()).toEqual(['outer_parallel.branch1', 'outer_parallel.branch2']);
      for (const b of ['branch1', 'branch2']) {
        const ob = `outer_parallel.${b}`;
        expect(branch(log, ob).status).toBe('SUCCESS');
        expect(stepKeys(branch(log, ob))).toEqual(prefixed(ob, ['map_step', 'success']));
        const map = expectStep(log, `${ob}.map_step`, 'map', 'SUCCESS');
        expect(branchKeys(map)).toEqual(prefixed(`${ob}.map_step`, ['1', '2', '3']));
        for (const chunk of [1, 2, 3]) {
          const mb = `${ob}.map_step.${chunk}`;
          expect(branch(log, mb).status).toBe('SUCCESS');
          expect(stepKeys(branch(log, mb))).toEqual(prefixed(mb, ['inner_parallel', 'success']));
          const inner = expectStep(log, `${mb}.inner_parallel`, 'parallel', 'SUCCESS');
          expect(branchKeys(inner).sort()).toEqual(prefixed(`${mb}.inner_parallel`, ['a', 'b']));
          for (const ib of ['a', 'b']) {
            const leaf = `${mb}.inner_parallel.${ib}`;
            expect(branch(log, leaf).status).toBe('SUCCESS');
            expect(stepKeys(branch(log, leaf))).toEqual(prefixed(leaf, SIMPLE));
            expectStep(log, `${leaf}.hello typescript`, 'task', 'SUCCESS');
            // the map item is visible two levels down
            expect(inputs(run(), `${leaf}.hello shell`)).toMatchObject({ chunk });
          }
        }
      }
    });

    it('records every step of the 12 innermost branches', () => {
      const log = run().runLog;
      // 2 top + 2 x (2 + 3 x (2 + 2 x 4))
      expect(allSteps(log)).toHaveLength(66);
      // 2 outer + 2 x 3 map iterations + 2 x 3 x 2 inner
      expect(allBranches(log)).toHaveLength(2 + 6 + 12);
      expect(allSteps(log).filter((s) => s.name === 'hello typescript')).toHaveLength(12);
      expectTaskLogs(run(), 'hello typescript', 'Hello World!', 12);
      for (const chunk of [1, 2, 3]) expectTaskLogs(run(), 'hello shell', `Hello World! chunk=${chunk}`, 4);
    });
  });

  describe('parallel_branch_fail.yaml', () => {
    const run = useExample('examples/06-parallel/parallel_branch_fail.yaml');

    it('runs every branch, fails the step and the run', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(run().exitCode).toBe(1);
      expect(log.status).toBe('FAIL');
      expect(stepKeys(log)).toEqual(['parallel_step', 'fail']);
      expectStep(log, 'parallel_step', 'parallel', 'FAIL');

      const ok = branch(log, 'parallel_step.branch1');
      expect(ok.status).toBe('SUCCESS');
      expect(stepKeys(ok)).toEqual(prefixed('parallel_step.branch1', TRAVERSAL));

      const ko = branch(log, 'parallel_step.branch2');
      expect(ko.status).toBe('FAIL');
      expect(stepKeys(ko)).toEqual(prefixed('parallel_step.branch2', ['hello stub', 'hello typescript', 'fail']));
      const failed = expectStep(log, 'parallel_step.branch2.hello typescript', 'task', 'FAIL');
      expect(failed.message).toContain('This is an exception');
    });
  });

  describe('parallel_rollback.yaml', () => {
    const run = useExample('examples/06-parallel/parallel_rollback.yaml');

    it("merges every branch's returned parameters into the parent", () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['parallel', 'verify', 'success']);
      const par = expectStep(log, 'parallel', 'parallel', 'SUCCESS');
      expect(branchKeys(par).sort()).toEqual(prefixed('parallel', ['branch1', 'branch2', 'branch3']));
      for (const b of ['branch1', 'branch2', 'branch3']) {
        expect(branch(log, `parallel.${b}`).status).toBe('SUCCESS');
        expect(stepKeys(branch(log, `parallel.${b}`))).toEqual(prefixed(`parallel.${b}`, [`${b}_task`, 'success']));
      }
      const expected = { result1: 'branch1_value', result2: 'branch2_value', result3: 'branch3_value' };
      expect(inputs(run(), 'verify')).toMatchObject(expected);
      expectStep(log, 'verify', 'task', 'SUCCESS');
      expect(values(log.parameters)).toMatchObject(expected);
    });
  });

  describe('parallel_conflict.yaml', () => {
    const run = useExample('examples/06-parallel/parallel_conflict.yaml');

    it('lets the later branch in declaration order win', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['parallel', 'success']);
      for (const b of ['branch1', 'branch2']) expect(stepKeys(branch(log, `parallel.${b}`))).toHaveLength(2);
      expect(outputs(run(), 'parallel.branch1.branch1_task')).toEqual({ shared: 'value_a' });
      expect(outputs(run(), 'parallel.branch2.branch2_task')).toEqual({ shared: 'value_b' });
      expect(param(log.parameters, 'shared')).toEqual({ kind: 'json', value: 'value_b' });
    });
  });
});

// -------------------------------------------------------------------------------------------
describe('07-map', () => {
  const BRANCH = ['execute_typescript', 'execute_async', 'execute_shell', 'read_chunk', 'success'];

  /** One iteration of the map branch, for chunk c: each stage multiplies by 10. */
  const expectIteration = (run: ExampleRun, c: number) => {
    const b = `map_state.${c}`;
    expect(branch(run.runLog, b).status).toBe('SUCCESS');
    expect(stepKeys(branch(run.runLog, b))).toEqual(prefixed(b, BRANCH));
    for (const s of BRANCH.slice(0, -1)) expectStep(run.runLog, `${b}.${s}`, 'task', 'SUCCESS');
    expect(inputs(run, `${b}.execute_typescript`)).toMatchObject({ chunk: c });
    expect(outputs(run, `${b}.execute_typescript`)).toEqual({ processed_typescript: 10 * c });
    expect(inputs(run, `${b}.execute_async`)).toMatchObject({ chunk: c, processed_typescript: 10 * c });
    expect(outputs(run, `${b}.execute_async`)).toEqual({ processed_async: 100 * c });
    expect(inputs(run, `${b}.execute_shell`)).toMatchObject({ chunk: c, processed_typescript: 10 * c, processed_async: 100 * c });
    expect(outputs(run, `${b}.execute_shell`)).toEqual({ processed_shell: 1000 * c });
    expect(inputs(run, `${b}.read_chunk`)).toMatchObject({
      chunk: c,
      processed_typescript: 10 * c,
      processed_async: 100 * c,
      processed_shell: 1000 * c,
    });
  };

  describe('map.yaml', () => {
    const run = useExample('examples/07-map/map.yaml', { params: true });

    it('runs the branch once per chunk, named by the item', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['map_state', 'collect', 'success']);
      const map = expectStep(log, 'map_state', 'map', 'SUCCESS');
      expect(branchKeys(map)).toEqual(['map_state.1', 'map_state.2', 'map_state.3']);
      for (const c of [1, 2, 3]) expectIteration(run(), c);
      expectTaskLogs(run(), 'execute_shell', 'yaay', 3);
    });

    it("keys a branch's steps by internal name, as runnable's datastore does", () => {
      // runnable: BranchLog.steps[step_log.internal_name]; tests/assertions.py reads
      // step.branches['map_state.1'].steps['map_state.1.execute_python']
      const b = branch(run().runLog, 'map_state.1');
      expect(Object.keys(b.steps)).toEqual(prefixed('map_state.1', BRANCH));
    });

    it('reduces each returned parameter to the array of its values, in iteration order', () => {
      const reduced = { processed_typescript: [10, 20, 30], processed_async: [100, 200, 300], processed_shell: [1000, 2000, 3000] };
      expect(inputs(run(), 'collect')).toMatchObject({ ...reduced, chunks: [1, 2, 3] });
      expectStep(run().runLog, 'collect', 'task', 'SUCCESS');
      const params = values(run().runLog.parameters);
      expect(params).toMatchObject({ ...reduced, chunks: [1, 2, 3], envvar: 'from env' });
      // the item is a parameter inside the branch only
      expect(params).not.toHaveProperty('chunk');
    });
  });

  describe('custom_reducer.yaml', () => {
    const run = useExample('examples/07-map/custom_reducer.yaml', { params: true });

    it('reduces each returned parameter with the custom reducer (max)', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['map_state', 'collect', 'success']);
      expect(branchKeys(expectStep(log, 'map_state', 'map', 'SUCCESS'))).toEqual(['map_state.1', 'map_state.2', 'map_state.3']);
      for (const c of [1, 2, 3]) expectIteration(run(), c);
      const reduced = { processed_typescript: 30, processed_async: 300, processed_shell: 3000 };
      expect(inputs(run(), 'collect')).toMatchObject(reduced);
      expectStep(log, 'collect', 'task', 'SUCCESS');
      expect(values(log.parameters)).toMatchObject(reduced);
    });
  });

  describe('map_fail.yaml', () => {
    const run = useExample('examples/07-map/map_fail.yaml', { params: true });

    it('runs every iteration, fails the one for chunk 1, the map and the run', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(run().exitCode).toBe(1);
      expect(log.status).toBe('FAIL');
      expect(stepKeys(log)).toEqual(['map_state', 'fail']);
      const map = expectStep(log, 'map_state', 'map', 'FAIL');
      expect(branchKeys(map)).toEqual(['map_state.1', 'map_state.2', 'map_state.3']);

      const first = branch(log, 'map_state.1');
      expect(first.status).toBe('FAIL');
      expect(stepKeys(first)).toEqual(prefixed('map_state.1', ['execute_typescript', 'fail']));
      const failed = expectStep(log, 'map_state.1.execute_typescript', 'task', 'FAIL');
      expect(failed.message).toContain('This is a failure');
      expect(inputs(run(), 'map_state.1.execute_typescript')).toMatchObject({ chunk: 1 });

      for (const c of [2, 3]) expectIteration(run(), c);
      expect(inputs(run(), 'map_state.2.execute_async')).toMatchObject({ processed_typescript: 20 });
      expect(inputs(run(), 'map_state.2.execute_shell')).toMatchObject({ processed_async: 200 });
      expect(log.steps['collect']).toBeUndefined();
    });
  });

  describe('dynamic_map.yaml', () => {
    const run = useExample('examples/07-map/dynamic_map.yaml');

    it('maps over a list returned by an earlier step', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['generate_chunks', 'process_all', 'collect', 'success']);
      expect(outputs(run(), 'generate_chunks')).toEqual({ chunks: [1, 2, 3, 4, 5] });
      const map = expectStep(log, 'process_all', 'map', 'SUCCESS');
      expect(branchKeys(map)).toEqual(prefixed('process_all', ['1', '2', '3', '4', '5']));
      for (const c of [1, 2, 3, 4, 5]) {
        expect(stepKeys(branch(log, `process_all.${c}`))).toEqual(prefixed(`process_all.${c}`, ['process', 'success']));
        expect(inputs(run(), `process_all.${c}.process`)).toMatchObject({ chunk: c });
        expect(outputs(run(), `process_all.${c}.process`)).toEqual({ processed: 10 * c });
      }
      expect(inputs(run(), 'collect')).toMatchObject({ processed: [10, 20, 30, 40, 50] });
      expect(outputs(run(), 'collect')).toEqual({ total: 150 });
      expect(values(log.parameters)).toMatchObject({ chunks: [1, 2, 3, 4, 5], processed: [10, 20, 30, 40, 50], total: 150 });
    });
  });
});

// -------------------------------------------------------------------------------------------
describe('10-loop', () => {
  describe('simple_loop.yaml', () => {
    const run = useExample('examples/10-loop/simple_loop.yaml');

    it('repeats the branch until should_stop is true (iterations 0 to 3)', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['counter_loop', 'success']);
      const loop = expectStep(log, 'counter_loop', 'loop', 'SUCCESS');
      expect(branchKeys(loop)).toEqual(prefixed('counter_loop', ['0', '1', '2', '3']));
      for (const i of [0, 1, 2, 3]) {
        const b = `counter_loop.${i}`;
        expect(branch(log, b).status).toBe('SUCCESS');
        expect(stepKeys(branch(log, b))).toEqual(prefixed(b, ['count', 'success']));
        expectStep(log, `${b}.count`, 'task', 'SUCCESS');
        expect(inputs(run(), `${b}.count`)).toMatchObject({ counter: i });
        expect(outputs(run(), `${b}.count`)).toEqual({ should_stop: i >= 3 });
      }
      expect(param(log.parameters, 'should_stop')).toEqual({ kind: 'json', value: true });
    });
  });

  describe('max_iterations_loop.yaml', () => {
    const run = useExample('examples/10-loop/max_iterations_loop.yaml');

    it('stops after max_iterations with the last iteration\'s parameters', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['max_iter_loop', 'validate_max_iter', 'success']);
      const loop = expectStep(log, 'max_iter_loop', 'loop', 'SUCCESS');
      expect(branchKeys(loop)).toEqual(prefixed('max_iter_loop', ['0', '1', '2']));
      for (const i of [0, 1, 2]) {
        const b = `max_iter_loop.${i}`;
        expect(stepKeys(branch(log, b))).toEqual(prefixed(b, ['never_stop', 'success']));
        // the loop index wins over the `counter` the previous iteration returned
        expect(inputs(run(), `${b}.never_stop`)).toMatchObject({ counter: i });
        expect(outputs(run(), `${b}.never_stop`)).toEqual({ counter: i, should_stop: false, message: `Completed iteration ${i}` });
      }
      expect(inputs(run(), 'validate_max_iter')).toMatchObject({ counter: 2, should_stop: false });
      expect(outputs(run(), 'validate_max_iter')).toEqual({ final_counter: 2, hit_max_iterations: true, validation_passed: true });
      expect(values(log.parameters)).toMatchObject({
        counter: 2,
        should_stop: false,
        message: 'Completed iteration 2',
        final_counter: 2,
        hit_max_iterations: true,
        validation_passed: true,
      });
    });
  });
});

// -------------------------------------------------------------------------------------------
// 09-retry: each example runs twice in the same copy of examples/, as runnable's
// tests/test_retries.py does: `execute` without should_pass (the run fails, exit 1), then
// `retry RUN_ID --json` with should_pass=true (the same run succeeds, exit 0). The step that
// failed ends with 2 attempts (FAIL, SUCCESS); every other task step runs once, and a step that
// had succeeded keeps its record of the first run untouched.

interface RetriedExample {
  /** the first run, as `execute` left it */
  first: ExampleRun;
  /** the same run after `retry` */
  retry: ExampleRun;
}

interface RetryExampleOptions extends RunOptions {
  /** environment of the retry, on top of should_pass=true */
  retryEnv?: Record<string, string>;
  /** called between the two runs (e.g. to edit a file) */
  beforeRetry?: (first: ExampleRun) => void;
}

const retried = new Set<string>();

/** `useExample` (the failing first run), then `runnable retry RUN_ID --json` in its working directory. */
function useRetriedExample(pipeline: string, opts: RetryExampleOptions = {}): () => RetriedExample {
  retried.add(pipeline);
  const first = useExample(pipeline, { ...opts, env: { should_pass: 'false', ...opts.env } });
  let retry: ExampleRun | undefined;
  beforeAll(async () => {
    opts.beforeRetry?.(first());
    retry = await retryExample(first(), { should_pass: 'true', ...opts.retryEnv }, opts.timeoutMs ?? 120_000);
  }, (opts.timeoutMs ?? 120_000) + 10_000);
  return () => {
    if (!retry) throw new Error(`${pipeline} was not retried`);
    return { first: first(), retry };
  };
}

async function retryExample(first: ExampleRun, extraEnv: Record<string, string>, timeoutMs: number): Promise<ExampleRun> {
  const args = ['retry', first.runId, '--json'];
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RUNNABLE_') && k !== 'FORCE_COLOR') env[k] = v;
  Object.assign(env, { NO_COLOR: '1' }, EXAMPLE_ENV, extraEnv);
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: first.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf-8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf-8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (c) => {
      clearTimeout(timer);
      resolve({ code: c, stdout: out, stderr: err });
    });
  });
  const json = parseJsonSummary(stdout);
  if (!json) throw new Error(`runnable ${args.join(' ')} exited ${code} without a --json summary\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);
  const runLog = JSON.parse(readFileSync(join(first.cwd, RUN_LOG_FOLDER, `${json.run_id}.json`), 'utf-8')) as RunLog;
  return { pipeline: first.pipeline, args, cwd: first.cwd, exitCode: code, stdout, stderr, json, runId: json.run_id, runLog };
}

/** `internal name -> statuses of its attempts`, for every task step of the run. */
const taskAttempts = (log: RunLog): Record<string, string[]> =>
  Object.fromEntries(allSteps(log).filter((s) => s.step_type === 'task').map((s) => [s.internal_name, s.attempts.map((a) => a.status)]));

/**
 * The shape of a retried 09-retry example: the first run failed (exit 1) at the `failed` task
 * steps, with 1 attempt each; the retry, same run id, succeeded (exit 0); the `failed` steps
 * now have attempts 1 (FAIL, kept as it was) and 2 (SUCCESS); every step of `others` (all
 * the other task steps) has exactly one SUCCESS attempt; every step that had succeeded in the
 * first run is recorded exactly as before (it was skipped, not run again).
 */
function expectRetried({ first, retry }: RetriedExample, failed: string[], others: string[]): void {
  expectWellFormedRun(first);
  expect(first.exitCode).toBe(1);
  expect(first.runLog.status).toBe('FAIL');
  for (const name of failed) {
    const s = expectStep(first.runLog, name, 'task', 'FAIL');
    expect(s.attempts.map((a) => a.status), `attempts of ${name} in the first run`).toEqual(['FAIL']);
    expect(s.message).toContain('Environment variable check failed!');
  }

  expectWellFormedRun(retry);
  expect(retry.exitCode, retry.stderr).toBe(0);
  expect(retry.json.status).toBe('SUCCESS');
  expect(retry.runId).toBe(first.runId);
  expect(retry.runLog.status).toBe('SUCCESS');
  expect(retry.runLog.dag_hash).toBe(first.runLog.dag_hash);
  expect(retry.stderr).toContain(`retrying run ${first.runId}`);

  const expected: Record<string, string[]> = {};
  for (const name of failed) expected[name] = ['FAIL', 'SUCCESS'];
  for (const name of others) expected[name] = ['SUCCESS'];
  expect(taskAttempts(retry.runLog)).toEqual(expected);
  for (const name of failed) {
    const s = step(retry.runLog, name);
    expect(s.attempts.map((a) => a.attempt_number)).toEqual([1, 2]);
    expect(s.attempts[0], `the first attempt of ${name} is kept as it was`).toEqual(step(first.runLog, name).attempts[0]);
    expect(Date.parse(s.attempts[1]!.start_time)).toBeGreaterThanOrEqual(Date.parse(s.attempts[0]!.end_time));
  }

  // what had succeeded was skipped: its record (attempts, times, parameters) is unchanged
  const before = new Map(allSteps(first.runLog).map((s) => [s.internal_name, s]));
  for (const [name, s] of before) {
    if (s.status === 'SUCCESS') expect(step(retry.runLog, name), `${name} succeeded in the first run`).toEqual(s);
  }
}

/**
 * The task log files of the catalog: each failed step has the log of attempt 1 (should_pass
 * false) and of attempt 2 (should_pass true, RUNNABLE_STEP_ATTEMPT=2); no other step has a
 * second attempt's log.
 */
function expectAttemptLogs(run: ExampleRun, failed: string[]): void {
  const files = catalogFiles(run);
  expect(files.filter((f) => /\.attempt-2\.log$/.test(f)).sort()).toEqual(failed.map((n) => `.logs/${n}.attempt-2.log`).sort());
  for (const name of failed) {
    expect(readCatalogFile(run, `.logs/${name}.attempt-1.log`)).toContain('should_pass=false (attempt 1)');
    expect(readCatalogFile(run, `.logs/${name}.attempt-2.log`)).toContain('should_pass=true (attempt 2)');
  }
}

const attempts = (s: StepLog) => s.attempts.map((a) => a.status);
const attemptInputs = (log: RunLog, name: string, n: number) => values(step(log, name).attempts[n - 1]!.input_parameters);
const attemptOutputs = (log: RunLog, name: string, n: number) => values(step(log, name).attempts[n - 1]!.output_parameters);

describe('09-retry', () => {
  describe('simple_task.yaml', () => {
    const run = useRetriedExample('examples/09-retry/simple_task.yaml');

    it('fails, then the retry runs check_envvar_task again and succeeds under the same run id', () => {
      expectRetried(run(), ['check_envvar_task'], []);
      expect(stepKeys(run().first.runLog)).toEqual(['check_envvar_task', 'fail']);
      // the first run's terminal step stays recorded; the retry reached success
      expect(stepKeys(run().retry.runLog)).toEqual(['check_envvar_task', 'fail', 'success']);
      expectAttemptLogs(run().retry, ['check_envvar_task']);
      expect(values(run().retry.runLog.parameters)).toEqual({ envvar: 'from env' });
    });

    it('prints {run_id, status, run_log} with --json and counts the retry in run_config', () => {
      const { retry } = run();
      expect(Object.keys(retry.json).sort()).toEqual(['run_id', 'run_log', 'status']);
      expect((retry.json.run_log as RunLog).status).toBe('SUCCESS');
      expect(retry.runLog.run_config['retries']).toBe(1);
      expect(run().first.runLog.run_config['retries']).toBeUndefined();
    });
  });

  describe('linear.yaml', () => {
    const run = useRetriedExample('examples/09-retry/linear.yaml');

    it('skips stub_node and runs check_envvar_task again', () => {
      expectRetried(run(), ['check_envvar_task'], []);
      expect(stepKeys(run().first.runLog)).toEqual(['stub_node', 'check_envvar_task', 'fail']);
      expect(stepKeys(run().retry.runLog)).toEqual(['stub_node', 'check_envvar_task', 'fail', 'success']);
      expect(attempts(expectStep(run().retry.runLog, 'stub_node', 'stub', 'SUCCESS'))).toEqual(['SUCCESS']);
      expect(run().retry.stderr).toMatch(/stub_node succeeded before, skipped/);
      expectAttemptLogs(run().retry, ['check_envvar_task']);
      expect(values(run().retry.runLog.parameters)).toEqual({ envvar: 'from env' });
    });
  });

  describe('parameter_handling.yaml', () => {
    const PARAMS_FILE = 'examples/09-retry/original_parameters.yaml';
    const ORIGINAL = { param1: 41, param2: 'hello world', chunks: [1, 2, 3], integer: 1, floater: 3.14, stringer: 'hello', pydantic_param: { x: 10, foo: 'bar' }, envvar: 'from env' };

    const expectParameters = (r: RetriedExample) => {
      expectRetried(r, ['check_envvar_task'], ['increment_parameter_task']);
      const { first, retry } = r;
      // the run started from the parameters file; increment_parameter_task made param1 42
      expect(attemptInputs(first.runLog, 'increment_parameter_task', 1)).toEqual({ param1: 41 });
      expect(attemptOutputs(first.runLog, 'increment_parameter_task', 1)).toEqual({ param1: 42 });
      expect(attemptInputs(first.runLog, 'check_envvar_task', 1)).toEqual({ param1: 42, param2: 'hello world' });
      // the retry continued with the run's own parameters: increment was skipped, param1 is 42
      expect(attemptInputs(retry.runLog, 'check_envvar_task', 2)).toEqual({ param1: 42, param2: 'hello world' });
      expect(values(retry.runLog.parameters)).toEqual({ ...ORIGINAL, param1: 42 });
      expect(retry.runLog.parameters).toEqual(first.runLog.parameters);
    };

    describe('retried as it is', () => {
      const run = useRetriedExample('examples/09-retry/parameter_handling.yaml', { params: false, env: { RUNNABLE_PARAMETERS_FILE: PARAMS_FILE } });

      it('continues with param1 = 42 and param2 = "hello world"', () => {
        expectParameters(run());
        expect(run().first.runLog.run_config['pipeline']).toBe('examples/09-retry/parameter_handling.yaml');
      });
    });

    describe('with the parameters file edited and other RUNNABLE_PRM_ values at retry time', () => {
      const run = useRetriedExample('examples/09-retry/parameter_handling.yaml', {
        env: { RUNNABLE_PARAMETERS_FILE: PARAMS_FILE },
        beforeRetry: (first) => writeFileSync(join(first.cwd, PARAMS_FILE), 'param1: 0\nparam2: edited\nchunks: [9]\n'),
        // runnable's test_retries: RUNNABLE_PRM_param1=43 at retry time changes nothing
        retryEnv: { RUNNABLE_PRM_param1: '43', RUNNABLE_PRM_param2: '"from env at retry"', RUNNABLE_PRM_envvar: 'changed', RUNNABLE_PARAMETERS_FILE: PARAMS_FILE },
      });

      it('ignores both: the retry uses the parameters the run has', () => {
        expect(readFileSync(join(run().retry.cwd, PARAMS_FILE), 'utf-8')).toContain('edited');
        expectParameters(run());
      });
    });
  });

  describe('parallel.yaml', () => {
    const run = useRetriedExample('examples/09-retry/parallel.yaml');
    const BRANCHES = ['parallel_step.branch1', 'parallel_step.branch2'];

    it('fails both branches at hello typescript; the retry re-runs it and continues each branch', () => {
      const failed = BRANCHES.map((b) => `${b}.hello typescript`);
      const others = BRANCHES.flatMap((b) => [`${b}.hello shell`, `${b}.hello async`]);
      expectRetried(run(), failed, others);
      const { first, retry } = run();

      expect(stepKeys(first.runLog)).toEqual(['parallel_step', 'fail']);
      for (const b of BRANCHES) {
        expect(stepKeys(branch(first.runLog, b))).toEqual(prefixed(b, ['hello stub', 'hello typescript', 'fail']));
        expect(branch(first.runLog, b).status).toBe('FAIL');
      }

      expect(stepKeys(retry.runLog)).toEqual(['parallel_step', 'fail', 'continue_to', 'success']);
      const par = expectStep(retry.runLog, 'parallel_step', 'parallel', 'SUCCESS');
      expect(attempts(par), 'the composite is opened again').toEqual(['FAIL', 'SUCCESS']);
      expect(branchKeys(par)).toEqual(BRANCHES);
      for (const b of BRANCHES) {
        expect(branch(retry.runLog, b).status).toBe('SUCCESS');
        expect(stepKeys(branch(retry.runLog, b))).toEqual(prefixed(b, ['hello stub', 'hello typescript', 'fail', 'hello shell', 'hello async', 'success']));
        expect(attempts(step(retry.runLog, `${b}.hello stub`))).toEqual(['SUCCESS']);
      }
      expectStep(retry.runLog, 'continue_to', 'stub', 'SUCCESS');
      expectAttemptLogs(retry, failed);
      expectTaskLogs(retry, 'hello shell', 'Hello World!', 2);
      expectTaskLogs(retry, 'hello async', 'Hello from async!', 2);
      expect(values(retry.runLog.parameters)).toEqual({ envvar: 'from env' });
    });
  });

  describe('map.yaml', () => {
    const run = useRetriedExample('examples/09-retry/map.yaml', { params: false, env: { RUNNABLE_PARAMETERS_FILE: 'examples/09-retry/original_parameters.yaml' } });
    const ITERATIONS = [1, 2, 3].map((c) => `map_state.${c}`);

    it('fails every iteration at execute_typescript; the retry re-runs it and finishes each iteration', () => {
      const failed = ITERATIONS.map((b) => `${b}.execute_typescript`);
      const others = [...ITERATIONS.flatMap((b) => ['execute_async', 'execute_shell', 'read_chunk'].map((s) => `${b}.${s}`)), 'collect'];
      expectRetried(run(), failed, others);
      const { first, retry } = run();

      expect(stepKeys(first.runLog)).toEqual(['map_state', 'fail']);
      for (const b of ITERATIONS) expect(stepKeys(branch(first.runLog, b))).toEqual(prefixed(b, ['execute_typescript', 'fail']));

      expect(stepKeys(retry.runLog)).toEqual(['map_state', 'fail', 'collect', 'success']);
      const map = expectStep(retry.runLog, 'map_state', 'map', 'SUCCESS');
      expect(branchKeys(map)).toEqual(ITERATIONS);
      for (const [i, b] of ITERATIONS.entries()) {
        const c = i + 1;
        expect(branch(retry.runLog, b).status).toBe('SUCCESS');
        expect(attemptInputs(retry.runLog, `${b}.execute_typescript`, 2)).toEqual({ chunk: c });
        expect(attemptOutputs(retry.runLog, `${b}.execute_typescript`, 2)).toEqual({ processed_typescript: 10 * c });
        expect(attemptOutputs(retry.runLog, `${b}.execute_async`, 1)).toEqual({ processed_async: 100 * c });
        expect(attemptOutputs(retry.runLog, `${b}.execute_shell`, 1)).toEqual({ processed_shell: 1000 * c });
      }
      const reduced = { processed_typescript: [10, 20, 30], processed_async: [100, 200, 300], processed_shell: [1000, 2000, 3000] };
      expect(attemptInputs(retry.runLog, 'collect', 1)).toMatchObject({ ...reduced, chunks: [1, 2, 3] });
      expect(values(retry.runLog.parameters)).toMatchObject({ ...reduced, chunks: [1, 2, 3], param1: 41 });
      expectAttemptLogs(retry, failed);
      expectTaskLogs(retry, 'execute_shell', 'yaay', 3);
    });
  });

  describe('conditional.yaml', () => {
    // the first toss is heads; were the coin tossed again at retry time, it would be tails
    const run = useRetriedExample('examples/09-retry/conditional.yaml', { env: { FIX_RANDOM_TOSS: 'heads' }, retryEnv: { FIX_RANDOM_TOSS: 'tails' } });

    it('keeps the branch taken: toss_task is skipped and heads runs again', () => {
      expectRetried(run(), ['conditional.heads.check_envvar'], ['toss_task']);
      const { first, retry } = run();
      expect(attemptOutputs(first.runLog, 'toss_task', 1)).toEqual({ toss: 'heads' });
      expect(stepKeys(first.runLog)).toEqual(['toss_task', 'conditional', 'fail']);

      expect(stepKeys(retry.runLog)).toEqual(['toss_task', 'conditional', 'fail', 'continue to', 'success']);
      const cond = expectStep(retry.runLog, 'conditional', 'conditional', 'SUCCESS');
      expect(branchKeys(cond)).toEqual(['conditional.heads']);
      expect(stepKeys(branch(retry.runLog, 'conditional.heads'))).toEqual(prefixed('conditional.heads', ['check_envvar', 'fail', 'success']));
      expect(param(retry.runLog.parameters, 'toss')).toEqual({ kind: 'json', value: 'heads' });
      expect(values(retry.runLog.parameters)).toEqual({ envvar: 'from env', toss: 'heads' });
      expect(logsOfStep(retry, 'when_tails_task')).toEqual([]);
      expectAttemptLogs(retry, ['conditional.heads.check_envvar']);
      expectTaskLogs(retry, 'toss_task', 'Using fixed toss result: heads');
    });
  });

  describe('fail_handling.yaml', () => {
    const run = useRetriedExample('examples/09-retry/fail_handling.yaml');

    it('first takes the on_failure path; the retry takes next and does not run the handler again', () => {
      expectRetried(run(), ['check_envvar_task'], ['notify_failure', 'after_check']);
      const { first, retry } = run();
      // first run: check_envvar_task >> on_failure: notify_failure >> fail
      expect(stepKeys(first.runLog)).toEqual(['check_envvar_task', 'notify_failure', 'fail']);
      expectStep(first.runLog, 'notify_failure', 'task', 'SUCCESS');
      expect(first.runLog.steps['after_check']).toBeUndefined();
      expect(readCatalogFile(first, '.logs/notify_failure.attempt-1.log')).toContain(`check_envvar_task failed in run ${first.runId}`);

      // retry: check_envvar_task (attempt 2) >> after_check >> success; the handler keeps its one attempt
      expect(stepKeys(retry.runLog)).toEqual(['check_envvar_task', 'notify_failure', 'fail', 'after_check', 'success']);
      expect(step(retry.runLog, 'notify_failure')).toEqual(step(first.runLog, 'notify_failure'));
      expectStep(retry.runLog, 'after_check', 'task', 'SUCCESS');
      expect(retry.stdout + retry.stderr).not.toMatch(/→ notify_failure/);
      expectAttemptLogs(retry, ['check_envvar_task']);
      expectTaskLogs(retry, 'after_check', 'check passed');
      expect(values(retry.runLog.parameters)).toEqual({ envvar: 'from env' });
    });
  });
});

const logsOfStep = (run: ExampleRun, name: string) => catalogFiles(run).filter((f) => f.startsWith('.logs/') && f.includes(name));

// -------------------------------------------------------------------------------------------
// runnable's notebook and Python examples, as they are (new files next to the TS ports)
describe('notebooks and python (runnable examples)', () => {
  const PY_TIMEOUT = { timeoutMs: 240_000 };

  describe('01-tasks/notebook.yaml', () => {
    const run = useExample('examples/01-tasks/notebook.yaml', PY_TIMEOUT);

    it('executes the notebook and keeps the executed copy where runnable keeps it', () => {
      expectWellFormedRun(run());
      expect(run().exitCode).toBe(0);
      expect(stepKeys(run().runLog)).toEqual(['hello', 'success']);
      expectStep(run().runLog, 'hello', 'task', 'SUCCESS');
      expectTaskLogs(run(), 'hello', 'Hello World!');
      // runnable's tests: should_have_notebook_output("examples/common/simple_notebook-hello_out.ipynb")
      const nb = JSON.parse(readCatalogFile(run(), 'examples/common/simple_notebook-hello_out.ipynb')) as {
        cells: { outputs?: { text?: string | string[] }[] }[];
      };
      const printed = nb.cells.flatMap((c) => c.outputs ?? []).map((o) => [o.text ?? ''].flat().join(''));
      expect(printed).toEqual(['Hello World!\n']);
    });
  });

  describe('01-tasks/notebook_typescript.yaml', () => {
    const run = useExample('examples/01-tasks/notebook_typescript.yaml', { params: true, ...PY_TIMEOUT });

    it('runs TypeScript cells with the Deno kernel, parameters in, returns out', () => {
      expectWellFormedRun(run());
      expect(run().json.status).toBe('SUCCESS');
      expect(inputs(run(), 'hello')).toMatchObject({ stringer: 'hello', integer: 1 });
      expect(outputs(run(), 'hello')).toEqual({ greeting: 'Hello hello!', doubled: 2 });
      expect(values(attempt(step(run().runLog, 'hello')).user_defined_metrics)).toEqual({ doubled: 2 });
      expectTaskLogs(run(), 'hello', 'Hello World!');
      expect(catalogFiles(run())).toContain('examples/common/simple_notebook_ts-hello_out.ipynb');
    });
  });

  describe('01-tasks/python_tasks.yaml', () => {
    const run = useExample('examples/01-tasks/python_tasks.yaml', PY_TIMEOUT);

    it("runs the dotted function and keeps its stdout and logging's stderr", () => {
      expectWellFormedRun(run());
      expect(run().json.status).toBe('SUCCESS');
      expect(stepKeys(run().runLog)).toEqual(['hello', 'success']);
      expectTaskLogs(run(), 'hello', 'Hello World!');
      expectTaskLogs(run(), 'hello', 'WARNING:This is a warning message.');
    });
  });

  describe('02-sequential/traversal_notebook.yaml', () => {
    const run = useExample('examples/02-sequential/traversal_notebook.yaml', PY_TIMEOUT);

    it('runs stub, python, shell and notebook steps in order', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['hello stub', 'hello python', 'hello shell', 'hello notebook', 'success']);
      for (const s of ['hello python', 'hello shell', 'hello notebook']) expectStep(log, s, 'task', 'SUCCESS');
      for (const s of ['hello python', 'hello shell', 'hello notebook']) expectTaskLogs(run(), s, 'Hello World!');
      expect(catalogFiles(run()).filter((f) => f.endsWith('_out.ipynb'))).toHaveLength(1);
    });
  });

  describe('03-parameters/passing_parameters_notebook.yaml', () => {
    const run = useExample('examples/03-parameters/passing_parameters_notebook.yaml', PY_TIMEOUT);
    const JSON_VALUES = { integer: 1, floater: 3.14, stringer: 'hello', pydantic_param: { x: 10, foo: 'bar' } };

    it('reads json, metric and pickled object returns from the notebook', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['set_parameter', 'get_parameters', 'read_parameters_in_notebook', 'success']);
      const out = attempt(step(log, 'set_parameter')).output_parameters;
      expect(kinds(out)).toEqual({ df: 'object', integer: 'json', floater: 'json', stringer: 'json', pydantic_param: 'json', score: 'metric' });
      expect(values(out)).toMatchObject({ ...JSON_VALUES, score: 0.9 });
      expect(out['df']!.value).toMatch(/\.pickle$/);
      expect(catalogFiles(run())).toContain(out['df']!.value);
    });

    it('unpickles the DataFrame and validates the pydantic model in the python step', () => {
      expectStep(run().runLog, 'get_parameters', 'task', 'SUCCESS');
      expect(Object.keys(inputs(run(), 'get_parameters')).sort()).toEqual(['df', 'floater', 'integer', 'pydantic_param', 'score', 'stringer']);
    });

    it('injects the json parameters into the second notebook', () => {
      expectStep(run().runLog, 'read_parameters_in_notebook', 'task', 'SUCCESS');
      expect(inputs(run(), 'read_parameters_in_notebook')).toEqual({ ...JSON_VALUES, score: 0.9, envvar: 'from env' });
      expect(outputs(run(), 'read_parameters_in_notebook')).toEqual({});
    });
  });

  describe('03-parameters/passing_parameters_python.yaml', () => {
    const run = useExample('examples/03-parameters/passing_parameters_python.yaml', PY_TIMEOUT);

    it('names the returned tuple positionally: json, a pydantic model as its dict, a pickled DataFrame, a metric', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['set_parameter', 'get_parameters', 'success']);
      const out = attempt(step(log, 'set_parameter')).output_parameters;
      expect(kinds(out)).toEqual({ df: 'object', integer: 'json', floater: 'json', stringer: 'json', pydantic_param: 'json', score: 'metric' });
      expect(values(out)).toMatchObject({ integer: 1, floater: 3.14, stringer: 'hello', pydantic_param: { x: 10, foo: 'bar' }, score: 0.9 });
      expectStep(log, 'get_parameters', 'task', 'SUCCESS');
    });
  });

  describe('03-parameters/static_parameters_python.yaml', () => {
    const run = useExample('examples/03-parameters/static_parameters_python.yaml', { params: true, ...PY_TIMEOUT });

    it('binds the initial parameters, validating pydantic_param into its model', () => {
      expectWellFormedRun(run());
      expect(run().json.status).toBe('SUCCESS');
      expectStep(run().runLog, 'read_params_as_pydantic', 'task', 'SUCCESS');
      expectStep(run().runLog, 'read_params_as_json', 'task', 'SUCCESS');
      const { integer, floater, stringer, pydantic_param, envvar } = INITIAL;
      expect(inputs(run(), 'read_params_as_pydantic')).toEqual({ integer, floater, stringer, pydantic_param, envvar });
      expect(inputs(run(), 'read_params_as_json')).toEqual({ integer, floater, stringer, pydantic_param });
    });
  });

  describe('03-parameters/static_parameters_notebook.yaml', () => {
    const run = useExample('examples/03-parameters/static_parameters_notebook.yaml', { params: true, ...PY_TIMEOUT });

    it('injects every json parameter into the notebook, then the shell step sees them as env vars', () => {
      expectWellFormedRun(run());
      expect(run().json.status).toBe('SUCCESS');
      expect(inputs(run(), 'read_params_in_notebook')).toEqual(INITIAL);
      expectStep(run().runLog, 'read_params_in_shell', 'task', 'SUCCESS');
      expectTaskLogs(run(), 'read_params_in_shell', 'yaay');
    });
  });

  describe('04-catalog/catalog_python.yaml', () => {
    const run = useExample('examples/04-catalog/catalog_python.yaml', PY_TIMEOUT);

    it('puts the files a python step wrote and gets them back for another', () => {
      expectWellFormedRun(run());
      const log = run().runLog;
      expect(log.status).toBe('SUCCESS');
      expect(stepKeys(log)).toEqual(['generate_data_python', 'delete_files_after_generate', 'read_data_python', 'success']);
      const entries = (name: string) => dataEntries(step(log, name)).map((d) => `${d.stage} ${d.name}`).sort();
      expect(entries('generate_data_python')).toEqual(['put data_folder/data.txt', 'put df.csv']);
      expect(entries('read_data_python')).toEqual(['get data_folder/data.txt', 'get df.csv']);
      expect(readCatalogFile(run(), 'data_folder/data.txt')).toBe('hello world');
    });
  });

  const expectNotebookMap = (run: ExampleRun, reduced: Record<string, unknown>) => {
    const log = run.runLog;
    expect(log.status).toBe('SUCCESS');
    expect(stepKeys(log)).toEqual(['map_state', 'collect', 'success']);
    expect(branchKeys(expectStep(log, 'map_state', 'map', 'SUCCESS'))).toEqual(['map_state.1', 'map_state.2', 'map_state.3']);
    for (const c of [1, 2, 3]) {
      const b = `map_state.${c}`;
      expect(stepKeys(branch(log, b))).toEqual(prefixed(b, ['execute_python', 'execute_notebook', 'execute_shell', 'read_chunk', 'success']));
      expect(inputs(run, `${b}.execute_notebook`)).toMatchObject({ chunk: c, processed_python: 10 * c });
      expect(outputs(run, `${b}.execute_notebook`)).toEqual({ processed_notebook: 100 * c });
      expect(outputs(run, `${b}.execute_shell`)).toEqual({ processed_shell: 1000 * c });
      expectStep(log, `${b}.read_chunk`, 'task', 'SUCCESS');
      // one executed copy per iteration
      expect(catalogFiles(run)).toContain(`examples/common/process_chunk-map_state.${c}.execute_notebook_out.ipynb`);
    }
    expect(inputs(run, 'collect')).toMatchObject(reduced);
    expectStep(log, 'collect', 'task', 'SUCCESS');
  };

  describe('07-map/map_notebook.yaml', () => {
    const run = useExample('examples/07-map/map_notebook.yaml', { params: true, ...PY_TIMEOUT });

    it('runs a python function, a notebook and a shell script per chunk; the default reducer lists them', () => {
      expectWellFormedRun(run());
      expectNotebookMap(run(), { processed_python: [10, 20, 30], processed_notebook: [100, 200, 300], processed_shell: [1000, 2000, 3000] });
    });
  });

  describe('07-map/custom_reducer_python.yaml', () => {
    const run = useExample('examples/07-map/custom_reducer_python.yaml', { params: true, ...PY_TIMEOUT });

    it('reduces with the Python lambda reducer (max)', () => {
      expectWellFormedRun(run());
      expectNotebookMap(run(), { processed_python: 30, processed_notebook: 300, processed_shell: 3000 });
      expect(values(run().runLog.parameters)).toMatchObject({ processed_python: 30, processed_notebook: 300, processed_shell: 3000 });
    });
  });
});

// -------------------------------------------------------------------------------------------
describe('coverage', () => {
  it('runs every example pipeline in examples/', () => {
    const root = join(REPO, 'examples');
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const pipelines = walk(root)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => `examples/${relative(root, f).split(sep).join('/')}`)
      .filter((f) => !f.startsWith('examples/common/'))
      // parameter files (-p) are not pipelines
      .filter((f) => !/parameters\.ya?ml$/.test(f))
      // configs (08-mocking, configs/) and jobs (11-jobs): run by test/executors/mocked-examples.test.ts,
      // the stores' and executors' tests, and test/examples/sdk-twins.test.ts
      .filter((f) => !/^examples\/(08-mocking|11-jobs|configs)\//.test(f))
      .sort();
    expect([...testedPipelines()].sort()).toEqual(pipelines);
  });

  it('runs every 09-retry example twice: execute (fails), then retry (succeeds)', () => {
    const dir = join(REPO, 'examples', '09-retry');
    const pipelines = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f) && !/parameters\.ya?ml$/.test(f))
      .map((f) => `examples/09-retry/${f}`)
      .sort();
    expect([...retried].sort()).toEqual(pipelines);
  });
});
