/**
 * SDK twin of map_fail.yaml: one iteration fails; the others still run, and the map fails.
 *
 *   runnable execute examples/07-map/map_fail.ts -p examples/common/initial_parameters.yaml
 */
import { map, pipeline, task } from 'runnable-ts';
import { assert_default_reducer, process_chunk_fail } from '../common/functions.js';
import { chunkBranch } from './_branch.js';

export default pipeline([
  map('map_state', { iterateOn: 'chunks', iterateAs: 'chunk', branch: chunkBranch(process_chunk_fail) }),
  task(assert_default_reducer, { name: 'collect' }),
]);
