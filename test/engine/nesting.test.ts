/** Deep nesting (map in parallel in map in loop), failure propagation, every branch runs. */
import { describe, expect, it } from 'vitest';
import { allBranches, allSteps, branch, runYaml, step, values } from './_helpers.js';

const nested = (failWhen = 'false') => `
dag:
  start_at: outer
  steps:
    outer:
      type: loop
      max_iterations: 5
      break_on: stop
      index_as: i
      next: success
      on_failure: recover
      branch:
        start_at: mid
        steps:
          mid:
            type: map
            iterate_on: chunks
            iterate_as: c
            next: decide
            branch:
              start_at: par
              steps:
                par:
                  type: parallel
                  next: success
                  branches:
                    a:
                      start_at: note
                      steps:
                        note: {type: task, command_type: shell, command: 'export a_val="a$i$c"', returns: [a_val], next: success}
                    b:
                      start_at: inner
                      steps:
                        inner:
                          type: map
                          iterate_on: letters
                          iterate_as: l
                          next: success
                          branch:
                            start_at: step
                            steps:
                              step:
                                type: task
                                command_type: shell
                                command: |
                                  if ${failWhen}; then echo "leaf failed at $i $c $l" >&2; exit 1; fi
                                  export word="$i$c$l"
                                  export mv="$RUNNABLE_MAP_VARIABLE"
                                returns: [word, mv]
                                next: success
          decide:
            type: task
            command_type: shell
            command: 'if [ "$i" -ge 1 ]; then export stop=true; else export stop=false; fi'
            returns: [stop]
            next: success
    recover: {type: task, command_type: shell, command: 'echo recovering', next: success}
`;
const ENV = { RUNNABLE_PRM_chunks: '[7, 8]', RUNNABLE_PRM_letters: '["x", "y"]' };

describe('nesting', () => {
  it('runs a 4-level nest (loop > map > parallel > map) with resolved internal names', async () => {
    const r = await runYaml(nested(), {}, { env: ENV });
    expect(r.status).toBe('SUCCESS');
    for (const s of allSteps(r.runLog)) expect(s.status, s.internal_name).toBe('SUCCESS');
    for (const b of allBranches(r.runLog)) expect(b.status, b.internal_name).toBe('SUCCESS');
    expect(Object.keys(r.runLog.steps)).toEqual(['outer', 'success']);

    const leaf = step(r.runLog, 'outer.1.mid.7.par.b.inner.x.step');
    expect(leaf.internal_name).toBe('outer.1.mid.7.par.b.inner.x.step');
    expect(leaf.name).toBe('step');
    expect(leaf.attempts[0]!.output_parameters.word).toEqual({ kind: 'json', value: '17x' });
    expect(leaf.attempts[0]!.output_parameters.mv!.value).toEqual({ i: 1, c: 7, l: 'x' });

    expect(Object.keys(step(r.runLog, 'outer').branches)).toEqual(['outer.0', 'outer.1']);
    expect(Object.keys(step(r.runLog, 'outer.0.mid').branches)).toEqual(['outer.0.mid.7', 'outer.0.mid.8']);
    expect(Object.keys(step(r.runLog, 'outer.0.mid.8.par').branches)).toEqual(['outer.0.mid.8.par.a', 'outer.0.mid.8.par.b']);
    expect(Object.keys(step(r.runLog, 'outer.0.mid.8.par.b.inner').branches)).toEqual([
      'outer.0.mid.8.par.b.inner.x',
      'outer.0.mid.8.par.b.inner.y',
    ]);
    // 2 iterations x 2 chunks x 2 letters leaves
    expect(allSteps(r.runLog).filter((s) => s.name === 'step')).toHaveLength(8);

    // the inner map reduces within par.b; the parallel merges into mid's iteration; mid reduces
    expect(values(branch(r.runLog, 'outer.1.mid.8.par.b').parameters).word).toEqual(['18x', '18y']);
    expect(values(branch(r.runLog, 'outer.1.mid.8').parameters)).toMatchObject({ a_val: 'a18', word: ['18x', '18y'] });
    expect(values(r.runLog.parameters)).toMatchObject({
      chunks: [7, 8],
      letters: ['x', 'y'],
      stop: true,
      a_val: ['a17', 'a18'],
      word: [
        ['17x', '17y'],
        ['18x', '18y'],
      ],
    });
  });

  it('a failing leaf deep inside fails every enclosing composite and goes to on_failure at the top', async () => {
    const r = await runYaml(nested('[ "$c$l" = 8y ]'), {}, { env: ENV });
    expect(r.status).toBe('SUCCESS'); // recovered
    expect(Object.keys(r.runLog.steps)).toEqual(['outer', 'recover', 'success']);
    const leaf = step(r.runLog, 'outer.0.mid.8.par.b.inner.y.step');
    expect(leaf.status).toBe('FAIL');
    expect(leaf.message).toContain('leaf failed at 0 8 y');
    for (const name of ['outer.0.mid.8.par.b.inner', 'outer.0.mid.8.par', 'outer.0.mid', 'outer']) {
      expect(step(r.runLog, name).status, name).toBe('FAIL');
    }
    for (const name of ['outer.0.mid.8.par.b.inner.y', 'outer.0.mid.8.par.b', 'outer.0.mid.8', 'outer.0']) {
      expect(branch(r.runLog, name).status, name).toBe('FAIL');
    }
    // siblings still ran and succeeded
    expect(step(r.runLog, 'outer.0.mid.8.par.b.inner.x.step').status).toBe('SUCCESS');
    expect(branch(r.runLog, 'outer.0.mid.7').status).toBe('SUCCESS');
    expect(branch(r.runLog, 'outer.0.mid.8.par.a').status).toBe('SUCCESS');
    // the loop stopped: no second iteration, no `decide` in the failed one
    expect(Object.keys(step(r.runLog, 'outer').branches)).toEqual(['outer.0']);
    expect(Object.values(branch(r.runLog, 'outer.0').steps).map((s) => s.name)).toEqual(['mid', 'fail']);
    expect(step(r.runLog, 'recover').status).toBe('SUCCESS');
  });
});

describe('every branch runs even when one fails', () => {
  const parallel = `
dag:
  start_at: par
  steps:
    par:
      type: parallel
      next: success
      branches:
        one: {start_at: s, steps: {s: {type: task, command_type: shell, command: 'echo one failing >&2; exit 1', next: success}}}
        two: {start_at: s, steps: {s: {type: task, command_type: shell, command: 'touch two.done', next: success}}}
        three: {start_at: s, steps: {s: {type: task, command_type: shell, command: 'touch three.done', next: success}}}
`;
  it.for([1, 3])('parallel (max_parallel %i)', async (width) => {
    const r = await runYaml(parallel, { 'config.yaml': `pipeline-executor: {type: local, config: {max_parallel: ${width}}}\n` }, { config: 'config.yaml' });
    expect(r.status).toBe('FAIL');
    const par = step(r.runLog, 'par');
    expect(par.status).toBe('FAIL');
    expect(par.message).toContain('one');
    expect(Object.fromEntries(Object.values(par.branches).map((b) => [b.internal_name, b.status]))).toEqual({
      'par.one': 'FAIL',
      'par.two': 'SUCCESS',
      'par.three': 'SUCCESS',
    });
    expect(step(r.runLog, 'par.three.s').status).toBe('SUCCESS');
    expect(Object.keys(r.runLog.steps)).toEqual(['par', 'fail']);
  });

  it('map: every iteration runs, the failed ones are named, nothing is reduced', async () => {
    const r = await runYaml(
      `
dag:
  start_at: fan
  steps:
    fan:
      type: map
      iterate_on: items
      iterate_as: n
      next: success
      branch:
        start_at: s
        steps:
          s: {type: task, command_type: shell, command: 'test $((n % 2)) = 1 || exit 1; export out=$n', returns: [out], next: success}
`,
      {},
      { env: { RUNNABLE_PRM_items: '[1, 2, 3, 4, 5]' } },
    );
    expect(r.status).toBe('FAIL');
    const fan = step(r.runLog, 'fan');
    expect(fan.status).toBe('FAIL');
    expect(fan.message).toMatch(/2 branch\(es\) failed: 2, 4/);
    expect(Object.values(fan.branches).map((b) => b.status)).toEqual(['SUCCESS', 'FAIL', 'SUCCESS', 'FAIL', 'SUCCESS']);
    expect(r.runLog.parameters.out).toBeUndefined();
  });
});
