/**
 * SDK twin of map.yaml: a map over `chunks`, each branch named by its item; the default reducer
 * collects each returned parameter into an array.
 *
 *   runnable execute examples/07-map/map.ts -p examples/common/initial_parameters.yaml
 */
import { map, pipeline, task } from 'runnable-ts';
import { assert_default_reducer, process_chunk } from '../common/functions.js';
import { chunkBranch } from './_branch.js';

export default pipeline([
  map('map_state', { iterateOn: 'chunks', iterateAs: 'chunk', branch: chunkBranch(process_chunk) }),
  task(assert_default_reducer, { name: 'collect' }),
]);
