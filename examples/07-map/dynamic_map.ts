/**
 * SDK twin of dynamic_map.yaml: a map over a list an earlier step returned.
 *
 *   runnable execute examples/07-map/dynamic_map.ts
 */
import { map, pipeline, task } from 'runnable-ts';
import { collect_results, generate_chunks, process_chunk } from '../common/functions.js';

export default pipeline([
  task(generate_chunks, { returns: ['chunks'] }),
  map('process_all', {
    iterateOn: 'chunks',
    iterateAs: 'chunk',
    branch: pipeline([task(process_chunk, { name: 'process', returns: ['processed'] })]),
  }),
  task(collect_results, { name: 'collect', returns: ['total'] }),
]);
