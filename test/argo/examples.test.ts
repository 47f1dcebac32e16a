/**
 * Every example pipeline under Argo (issue 11): the YAML pipelines of examples/ that the
 * portability matrix (./matrix.test.ts) does not already run compile to a Workflow the strict
 * schema accepts (checked in compile()), the test interpreter runs each (every pod a real
 * `runnable` process on the claim's folder), and each run ends as under `local`: the same
 * statuses, step and branch records, final parameters and catalog hashes. Each runs with the
 * parameters file its header's command line names (`runnable execute PIPELINE -p FILE`), else
 * the examples' initial parameters file, under both executors alike. The interpreter stands in for
 * an Argo controller, which these machines do not have (see ./_interpreter.ts).
 *
 * The TS twins of these pipelines build the same graphs (test/argo/compile.test.ts compiles
 * each; test/sdk checks twin and YAML agree), so they are not run a second time here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { INITIAL_PARAMETERS, REPO } from '../examples/_run.js';
import { MATRIX_CASES, cleanup, runUnder, signature } from '../executors/_emulate.js';
import { catalogHashes, compile, interpret, uniqueRunId } from './_harness.js';

afterAll(cleanup);

const inMatrix = new Set(MATRIX_CASES.map((c) => c.pipeline));
const pipelines: string[] = [];
for (const dir of readdirSync(join(REPO, 'examples')).sort()) {
  if (!/^\d\d-/.test(dir)) continue;
  for (const f of readdirSync(join(REPO, 'examples', dir)).sort()) {
    const pipeline = `examples/${dir}/${f}`;
    if (f.endsWith('.yaml') && /^dag:/m.test(readFileSync(join(REPO, pipeline), 'utf8')) && !inMatrix.has(pipeline)) pipelines.push(pipeline);
  }
}

test('the examples not in the matrix are found', () => expect(pipelines.length).toBeGreaterThan(20));

/** the parameters file the example's own command line uses, else the examples' initial parameters */
function paramsOf(pipeline: string): string {
  const text = readFileSync(join(REPO, pipeline), 'utf8');
  const own = new RegExp(`runnable execute ${pipeline.replace(/[.]/g, '\\.')} -p (\\S+)`).exec(text);
  return own?.[1] ?? INITIAL_PARAMETERS;
}

describe.each(pipelines)('%s', (pipeline) => {
  test('runs in the interpreter to the same result as local', async () => {
    const params = paramsOf(pipeline);
    const local = await runUnder('local', pipeline, { params });
    const compiled = await compile(pipeline, { params });
    const run = await interpret(compiled, uniqueRunId('example'));
    const failed = run.pods.filter((p) => p.phase !== 'Succeeded').map((p) => `${p.template}: ${p.stderr.slice(-400)}`);
    expect(run.phase, failed.join('\n')).toBe(local.runLog.status === 'SUCCESS' ? 'Succeeded' : 'Failed');
    expect(run.runLog?.status).toBe(local.runLog.status);
    expect(signature(run.runLog!)).toEqual(signature(local.runLog));
    expect(catalogHashes(run.runLog!)).toEqual(catalogHashes(local.runLog));
  }, 900_000);
});
