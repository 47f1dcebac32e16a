/**
 * How a user tests their pipeline with vitest: run it in memory with `runPipeline`, replacing
 * the steps that reach the outside world (`patches`, by step name), and assert on the run log.
 * Nothing is written to disk: the run log is in memory and the catalog is a temporary folder.
 *
 *   npx vitest run examples/testing/pipeline.test.ts
 */
import { describe, expect, it } from 'vitest';
import {
  assertFailed,
  assertSucceeded,
  branchNames,
  inputsOf,
  metricsOf,
  mockedSteps,
  outputsOf,
  runPipeline,
  statuses,
  stepOf,
  valuesOf,
} from 'runnable-ts/testing';
import orders from './pipeline.js';
import type { Order } from './functions.js';

const ORDERS: Order[] = [
  { id: 1, region: 'us', amount: 10 },
  { id: 2, region: 'eu', amount: 20 },
  { id: 3, region: 'us', amount: 5 },
];

/** the side-effecting steps, replaced in every test */
const offline = {
  fetch_orders: () => ORDERS,
  publish: { command: 'echo "would publish $grand_total"', command_type: 'shell' as const },
};

describe('the orders pipeline', () => {
  it('totals the orders per region and sums them', async () => {
    const log = await runPipeline(orders, { patches: offline });

    assertSucceeded(log);
    expect(branchNames(log, 'per_region')).toEqual(['per_region.eu', 'per_region.us']);
    expect(outputsOf(log, 'per_region.us.region_total')).toEqual({ total: 15 });
    expect(inputsOf(log, 'per_region.eu.region_total')).toMatchObject({ region: 'eu' });
    expect(valuesOf(log)).toMatchObject({ regions: ['eu', 'us'], total: [20, 15], grand_total: 35 });
    expect(metricsOf(log, 'summarise')).toEqual({ grand_total: 35 });
  });

  it('stops when the orders service is down', async () => {
    const log = await runPipeline(orders, {
      patches: {
        ...offline,
        fetch_orders: () => {
          throw new Error('orders service answered 503');
        },
      },
    });

    assertFailed(log, 'fetch_orders');
    expect(stepOf(log, 'fetch_orders').message).toContain('503');
    expect(statuses(log)).toEqual({ fetch_orders: 'FAIL', fail: 'SUCCESS' });
  });

  it('fans out over the regions, with every other step mocked', async () => {
    // `unpatched: 'mock'` is the mocked executor: only patched tasks run; the map still fans out
    const log = await runPipeline(orders, { patches: { regions_of: () => ['apac', 'eu', 'us'] }, unpatched: 'mock' });

    assertSucceeded(log);
    expect(branchNames(log, 'per_region')).toEqual(['per_region.apac', 'per_region.eu', 'per_region.us']);
    expect(mockedSteps(log)).toEqual([
      'fetch_orders',
      'per_region.apac.region_total',
      'per_region.eu.region_total',
      'per_region.us.region_total',
      'summarise',
      'publish',
    ]);
  });

  it('takes initial parameters, as -p would give them', async () => {
    // a mocked step returns nothing, so the map iterates on the `regions` given up front
    const log = await runPipeline(orders, { unpatched: 'mock', parameters: { regions: ['eu'] } });

    assertSucceeded(log);
    expect(branchNames(log, 'per_region')).toEqual(['per_region.eu']);
    expect(stepOf(log, 'per_region.eu.region_total').mock).toBe(true);
  });
});
