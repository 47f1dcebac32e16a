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
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_TXT, DF_CSV } from '../../examples/common/functions.js';
import {
  REPO,
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
  readCatalogFile,
  sha256,
  step,
  stepKeys,
  testedPipelines,
  useExample,
  values,
  type ExampleRun,
} from './_run.js';
import type { Parameters } from '../../src/runlog/types.js';

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
describe('coverage', () => {
  it('runs every example pipeline in examples/', () => {
    const root = join(REPO, 'examples');
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
    const pipelines = walk(root)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => `examples/${relative(root, f).split(sep).join('/')}`)
      .filter((f) => !f.startsWith('examples/common/'))
      .sort();
    expect([...testedPipelines()].sort()).toEqual(pipelines);
  });
});
