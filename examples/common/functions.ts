/**
 * The functions the example pipelines call: a TypeScript port of runnable's
 * `examples/common/functions.py`, with the same names, parameter names and values.
 *
 * These are plain functions with no dependency on runnable-ts. A pipeline step names one as
 * `command: examples/common/functions.ts:EXPORT` (paths are relative to the repository root,
 * which is the working directory of a run). runnable-ts binds the arguments by name from the
 * run's parameters: the declared parameter names, or the property names of a single
 * destructured object parameter. What a function returns is named by the step's `returns`:
 * one name takes the whole value, several names take an array positionally.
 *
 * A function fails its step by throwing; the asserts below are how the examples check that
 * every parameter arrived with the right value.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

// ---------------------------------------------------------------------------------------------
// 01-tasks, 02-sequential, 06-parallel

/** The most basic function. Its output goes into the run's catalog as the step's log. */
export function hello(): void {
  console.log('Hello World!');
  // stderr is captured in the log too
  console.warn('This is a warning message.');
}

/** Mock of the hello function. */
export function mocked_hello(): void {
  console.log('Hello from mock');
}

/** A function that raises an exception: its step fails. */
export function raise_ex(): never {
  throw new Error('This is an exception');
}

/** An async version of hello; runnable-ts awaits async functions. */
export async function async_hello(): Promise<string> {
  await sleep(100);
  console.log('Hello from async!');
  return 'async_result';
}

/** Processes the result of async_hello asynchronously. */
export async function async_process(result: string): Promise<string> {
  await sleep(100);
  const processed = `processed_${result}`;
  console.log(`Processed: ${processed}`);
  return processed;
}

// ---------------------------------------------------------------------------------------------
// 03-parameters

/** runnable's pydantic model `ComplexParams`; in TypeScript the nested parameter is a plain object. */
export interface ComplexParams {
  x: number;
  foo: string;
}

/** A stand-in for runnable's pandas DataFrame: columns of equal length. */
export type DataFrame = Record<string, unknown[]>;

/** [rows, columns] of a DataFrame, as pandas' `df.shape`. */
export function shape(df: DataFrame): [number, number] {
  const columns = Object.values(df);
  return [columns[0]?.length ?? 0, columns.length];
}

/**
 * Reads the initial parameters (examples/common/initial_parameters.yaml plus the
 * `RUNNABLE_PRM_envvar` environment variable), each as a named argument.
 */
export function read_initial_params_as_pydantic(
  integer: number,
  floater: number,
  stringer: string,
  pydantic_param: ComplexParams,
  envvar: string,
): void {
  assert.equal(integer, 1);
  assert.equal(floater, 3.14);
  assert.equal(stringer, 'hello');
  assert.equal(pydantic_param.x, 10);
  assert.equal(pydantic_param.foo, 'bar');
  assert.equal(envvar, 'from env');
}

/** Reads the initial parameters through a single destructured object parameter. */
export function read_initial_params_as_json({
  integer,
  floater,
  stringer,
  pydantic_param,
}: {
  integer: number;
  floater: number;
  stringer: string;
  pydantic_param: Record<string, number | string>;
}): void {
  assert.equal(integer, 1);
  assert.equal(floater, 3.14);
  assert.equal(stringer, 'hello');
  assert.equal(pydantic_param['x'], 10);
  assert.equal(pydantic_param['foo'], 'bar');
}

/**
 * Returns, in order: df (an `object` parameter), integer, floater, stringer, pydantic_param
 * and score (a `metric`). The step's `returns` names them positionally.
 */
export function write_parameter(): [DataFrame, number, number, string, ComplexParams, number] {
  const integer = 1;
  const floater = 3.14;
  const c: ComplexParams = { x: 10, foo: 'bar' };
  const df: DataFrame = { calories: [420, 380, 390], duration: [50, 40, 45] };
  const score = 0.9;

  return [df, integer, floater, 'hello', c, score];
}

/** Reads what write_parameter returned, including the `object` parameter df. */
export function read_parameter(
  df: DataFrame,
  integer: number,
  floater: number,
  stringer: string,
  pydantic_param: ComplexParams,
  score: number,
): void {
  assert.equal(integer, 1);
  assert.equal(floater, 3.14);
  assert.equal(stringer, 'hello');
  assert.equal(pydantic_param.x, 10);
  assert.equal(pydantic_param.foo, 'bar');
  assert.deepEqual(shape(df), [3, 2]);
  assert.deepEqual(df['calories'], [420, 380, 390]);
  assert.equal(score, 0.9);
}

/** Reads the json parameters a shell step exported. */
export function read_unpickled_parameter(
  integer: number,
  floater: number,
  stringer: string,
  pydantic_param: ComplexParams,
  score: number,
): void {
  assert.equal(integer, 1);
  assert.equal(floater, 3.14);
  assert.equal(stringer, 'hello');
  assert.equal(pydantic_param.x, 10);
  assert.equal(pydantic_param.foo, 'bar');
  assert.equal(score, 0.9);
}

// ---------------------------------------------------------------------------------------------
// 04-catalog

/** The content write_files puts in df.csv (what pandas' `df.to_csv(index=False)` writes). */
export const DF_CSV = 'calories,duration\n420,50\n380,40\n390,45\n';
/** The content write_files puts in data_folder/data.txt. */
export const DATA_TXT = 'hello world';

/** Writes df.csv and data_folder/data.txt in the working directory. */
export function write_files(): void {
  writeFileSync('df.csv', DF_CSV, 'utf-8');
  mkdirSync('data_folder', { recursive: true });
  writeFileSync('data_folder/data.txt', DATA_TXT, 'utf-8');
}

/** Reads df.csv and data_folder/data.txt: they must have been brought back from the catalog. */
export function read_files(): void {
  const rows = readFileSync('df.csv', 'utf-8').trim().split('\n');
  const header = rows[0]!.split(',');
  assert.deepEqual([rows.length - 1, header.length], [3, 2]);

  const data = readFileSync('data_folder/data.txt', 'utf-8');
  assert.equal(data.trim(), 'hello world');
}

/** With `store_copy: false` the files are recorded in the run log but not copied into the catalog. */
export function check_files_do_not_exist(): void {
  const run_id = process.env['RUNNABLE_RUN_ID'];
  assert.ok(run_id, 'RUNNABLE_RUN_ID is set inside a running step');
  assert.ok(!existsSync(`.catalog/${run_id}/df.csv`));
  assert.ok(!existsSync(`.catalog/${run_id}/data_folder/data.txt`));
}

// ---------------------------------------------------------------------------------------------
// 07-map
//
// runnable's map branch chains a python function, a notebook and a shell script, each
// multiplying by 10 (processed_python, processed_notebook, processed_shell). Here the python
// function is `process_chunk` (processed_typescript), the notebook is replaced by the async
// function `process_chunk_async` (processed_async), and the shell script stays.

/** Processes one chunk of data: multiplies it by 10. */
export function process_chunk(chunk: number): number {
  return chunk * 10;
}

/** As process_chunk, but fails for chunk 1. */
export function process_chunk_fail(chunk: number): number {
  if (chunk === 1) throw new Error('This is a failure');
  return chunk * 10;
}

/** The second stage of the map branch (runnable's process_chunk.ipynb): multiplies by 10 again. */
export async function process_chunk_async(chunk: number, processed_typescript: number): Promise<number> {
  await sleep(10);
  assert.equal(Number(chunk) * 10, processed_typescript);
  return processed_typescript * 10;
}

/** The last step of a map iteration: sees the values returned in its own iteration only. */
export function read_processed_chunk(
  chunk: number,
  processed_typescript: number,
  processed_async: number,
  processed_shell: number,
): void {
  assert.equal(Number(chunk) * 10, processed_typescript);
  assert.equal(processed_typescript * 10, processed_async);
  assert.equal(processed_async * 10, processed_shell);
}

/** After the map, each returned parameter is the array of its values, in iteration order. */
export function assert_default_reducer(
  processed_typescript: number[],
  processed_async: number[],
  processed_shell: number[],
  chunks: number[],
): void {
  assert.deepEqual(processed_typescript, chunks.map((chunk) => chunk * 10));
  assert.deepEqual(processed_async, chunks.map((chunk) => chunk * 100));
  assert.deepEqual(processed_shell, chunks.map((chunk) => chunk * 1000));
}

/** A custom reducer (runnable's `lambda *x: max(x)`): called with the array of one parameter's values. */
export function max_reducer(values: number[]): number {
  return Math.max(...values);
}

/** After a map with `max_reducer`, each returned parameter is the maximum of its values. */
export function assert_custom_reducer(
  processed_typescript: number,
  processed_async: number,
  processed_shell: number,
  chunks: number[],
): void {
  assert.equal(processed_typescript, Math.max(...chunks.map((chunk) => chunk * 10)));
  assert.equal(processed_async, Math.max(...chunks.map((chunk) => chunk * 100)));
  assert.equal(processed_shell, Math.max(...chunks.map((chunk) => chunk * 1000)));
}

/** runnable's dynamic_map.py: the list a map iterates on can be returned by an earlier step. */
export function generate_chunks(): number[] {
  console.log('Generating chunks dynamically...');
  return [1, 2, 3, 4, 5];
}

/** Collects the results of dynamic_map: returns their sum. */
export function collect_results(processed: number[]): number {
  const total = processed.reduce((a, b) => a + b, 0);
  console.log(`All results: ${JSON.stringify(processed)}`);
  console.log(`Sum: ${total}`);
  return total;
}

// ---------------------------------------------------------------------------------------------
// 02-sequential/conditional (runnable's conditional.py and conditional_rollback.py)

export function when_heads_function(): void {
  console.log('when_heads_function called');
}

export function when_tails_function(): void {
  console.log('when_tails_function called');
}

/** Tosses a coin; `FIX_RANDOM_TOSS` in the environment fixes the result (the tests use it). */
export function toss_function(): string {
  const fixed = process.env['FIX_RANDOM_TOSS'];
  if (fixed) {
    console.log(`Using fixed toss result: ${fixed}`);
    return fixed;
  }
  const toss = Math.random() < 0.5 ? 'heads' : 'tails';
  console.log(`Toss result: ${toss}`);
  return toss;
}

/** Always chooses heads. */
export function decide_heads(): string {
  return 'heads';
}

/** Sets a parameter when the heads branch runs. */
export function set_conditional_heads_param(): string {
  return 'heads_value';
}

/** Sets a parameter when the tails branch runs. */
export function set_conditional_tails_param(): string {
  return 'tails_value';
}

/** The parameter set inside the branch that ran is visible after the conditional. */
export function verify_conditional_rollback(branch_param: string): string {
  assert.ok(['heads_value', 'tails_value'].includes(branch_param), `unexpected branch_param ${branch_param}`);
  return branch_param;
}

// ---------------------------------------------------------------------------------------------
// 06-parallel (runnable's parallel_rollback.py and parallel_conflict.py)

export function set_parallel_branch1(): string {
  return 'branch1_value';
}

export function set_parallel_branch2(): string {
  return 'branch2_value';
}

export function set_parallel_branch3(): string {
  return 'branch3_value';
}

/** Parameters returned in every branch are visible after the parallel step. */
export function verify_parallel_rollback(result1: string, result2: string, result3: string): string {
  assert.equal(result1, 'branch1_value');
  assert.equal(result2, 'branch2_value');
  assert.equal(result3, 'branch3_value');
  return 'verified';
}

export function set_shared_param_a(): string {
  return 'value_a';
}

export function set_shared_param_b(): string {
  return 'value_b';
}

// ---------------------------------------------------------------------------------------------
// 10-loop (runnable's simple_loop.py and max_iterations_loop.py)
//
// runnable hands the loop index to a task only as an environment variable; runnable-ts also
// binds it as a parameter (`index_as`), so these functions take `counter` as an argument.

/** Counts iterations; asks the loop to stop once the counter reaches 3. */
export function counter_task(counter: number): boolean {
  console.log(`Counter task executing, counter = ${counter}`);
  const should_stop = counter >= 3;
  console.log(`Should stop: ${should_stop}`);
  return should_stop;
}

/** Never asks the loop to stop, so the loop runs `max_iterations` times. */
export function never_stop_task(counter: number): [number, boolean, string] {
  console.log(`Executing task iteration #${counter}`);
  return [counter, false, `Completed iteration ${counter}`];
}

/** After a loop that hit max_iterations: 3, the parameters are those of iteration 2. */
export function check_final_count(counter: number, should_stop: boolean): [number, boolean, boolean] {
  console.log(`Final counter: ${counter}, should_stop: ${should_stop}`);
  const expected_final_counter = 2;
  assert.equal(counter, expected_final_counter, `Expected counter=${expected_final_counter}, got ${counter}`);
  assert.equal(should_stop, false, `Expected should_stop=false, got ${should_stop}`);
  return [counter, true, true];
}

// ---------------------------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
