/**
 * A small pipeline and the subject of the example tests next to it (pipeline.test.ts for
 * vitest, pipeline.node-test.ts for node:test): fetch the orders, total them per region with a
 * map, sum the totals, publish the report.
 *
 *   ORDERS_URL=https://... runnable execute examples/testing/pipeline.ts
 */
import { map, metric, pipeline, shell, task } from 'runnable-ts';
import { fetch_orders, region_total, regions_of, summarise } from './functions.js';

export default pipeline([
  task(fetch_orders, { returns: ['orders'] }),
  task(regions_of, { returns: ['regions'] }),
  map('per_region', {
    iterateOn: 'regions',
    iterateAs: 'region',
    branch: pipeline([task(region_total, { returns: ['total'] })]),
  }),
  task(summarise, { returns: [metric('grand_total')] }),
  shell('curl -fsS -X POST "$REPORT_URL" -d "grand_total=$grand_total"', { name: 'publish' }),
]);
