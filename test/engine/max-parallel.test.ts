/** `max_parallel` of the local executor: branches at once, measured on the run log's own clock. */
import { describe, expect, it } from 'vitest';
import type { StepLog } from '../../src/runlog/types.js';
import { runYaml, step } from './_helpers.js';

const SLEEP = 0.5;
const WIDTH = 4;

const parallelYaml = `
dag:
  start_at: par
  steps:
    par:
      type: parallel
      next: success
      branches:
${Array.from({ length: WIDTH }, (_, i) => `        b${i}: {start_at: s, steps: {s: {type: task, command_type: shell, command: 'sleep ${SLEEP}', next: success}}}`).join('\n')}
`;

const mapYaml = `
dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: s
        steps:
          s: {type: task, command: funcs.ts:nap, returns: [napped], next: success}
`;
const FUNCS = `export async function nap(item) { await new Promise((r) => setTimeout(r, ${SLEEP * 1000})); return item; }`;

/** The most leaf attempts running at one instant: load on the machine cannot fake or hide it. */
function maxConcurrency(parent: StepLog): number {
  const spans = Object.values(parent.branches).map((b) => Object.values(b.steps)[0]!.attempts[0]!);
  const edges = spans.flatMap((a) => [
    { t: Date.parse(a.start_time), d: 1 },
    { t: Date.parse(a.end_time), d: -1 },
  ]);
  edges.sort((x, y) => x.t - y.t || x.d - y.d);
  let now = 0;
  let most = 0;
  for (const e of edges) most = Math.max(most, (now += e.d));
  return most;
}

const seconds = (s: StepLog) => (Date.parse(s.attempts[0]!.end_time) - Date.parse(s.attempts[0]!.start_time)) / 1000;
const config = (n: number) => `pipeline-executor: {type: local, config: {max_parallel: ${n}}}\n`;

describe('max_parallel', () => {
  it(`${WIDTH} shell branches run at once with max_parallel: ${WIDTH}`, async () => {
    const r = await runYaml(parallelYaml, { 'runnable-config.yaml': config(WIDTH) });
    expect(r.status).toBe('SUCCESS');
    expect(maxConcurrency(step(r.runLog, 'par'))).toBe(WIDTH);
    expect(r.runLog.run_config['pipeline-executor']).toEqual({ type: 'local', config: { max_parallel: WIDTH } });
  });

  it('one at a time by default', async () => {
    const r = await runYaml(parallelYaml);
    expect(r.status).toBe('SUCCESS');
    expect(seconds(step(r.runLog, 'par'))).toBeGreaterThanOrEqual(WIDTH * SLEEP);
    expect(maxConcurrency(step(r.runLog, 'par'))).toBe(1);
    // sequential: each branch starts after the previous one ended
    const leaves = Object.values(step(r.runLog, 'par').branches).map((b) => Object.values(b.steps)[0]!.attempts[0]!);
    for (let i = 1; i < leaves.length; i++) expect(Date.parse(leaves[i]!.start_time)).toBeGreaterThanOrEqual(Date.parse(leaves[i - 1]!.end_time));
  });

  it('async TS functions of a map interleave with max_parallel; results stay in item order', async () => {
    const items = { RUNNABLE_PRM_items: JSON.stringify(Array.from({ length: WIDTH }, (_, i) => i)) };
    const fast = await runYaml(mapYaml, { 'funcs.ts': FUNCS, 'c.yaml': config(WIDTH) }, { config: 'c.yaml', env: items });
    expect(fast.status).toBe('SUCCESS');
    expect(maxConcurrency(step(fast.runLog, 'fan'))).toBe(WIDTH);
    expect(fast.runLog.parameters.napped!.value).toEqual([0, 1, 2, 3]);

    const slow = await runYaml(mapYaml, { 'funcs.ts': FUNCS, 'c.yaml': config(2) }, { config: 'c.yaml', env: items });
    expect(maxConcurrency(step(slow.runLog, 'fan'))).toBe(2);
    expect(seconds(step(slow.runLog, 'fan'))).toBeGreaterThanOrEqual(2 * SLEEP);
  });
});
