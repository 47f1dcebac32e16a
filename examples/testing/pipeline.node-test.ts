/**
 * The same kind of test with node's own runner, node:test (no test framework needed):
 *
 *   node --import tsx/esm --test examples/testing/pipeline.node-test.ts
 *
 * The helpers throw node's AssertionError, so they work under any runner.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertFailed, assertSucceeded, attemptsOf, branchOf, runPipeline, valuesOf } from 'runnable-ts/testing';
import orders from './pipeline.js';

const patches = {
  fetch_orders: () => [
    { id: 1, region: 'eu', amount: 7 },
    { id: 2, region: 'eu', amount: 3 },
  ],
  publish: { command: 'echo "would publish $grand_total"', command_type: 'shell' as const },
};

test('one region: its total is the grand total', async () => {
  const log = await runPipeline(orders, { patches });
  assertSucceeded(log);
  assert.equal(branchOf(log, 'per_region.eu').status, 'SUCCESS');
  assert.equal(valuesOf(log)['grand_total'], 10);
  assert.equal(attemptsOf(log, 'summarise').length, 1);
});

test('a failing publish fails the run after the totals are computed', async () => {
  const log = await runPipeline(orders, { patches: { ...patches, publish: { command: 'exit 7', command_type: 'shell' } } });
  assertFailed(log, 'publish');
  assert.equal(valuesOf(log)['grand_total'], 10);
});
