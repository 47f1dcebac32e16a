/**
 * SDK twin of custom_reducer.yaml: the map's reducer is a function (here `max_reducer`), called
 * with the array of each returned parameter's values.
 *
 *   runnable execute examples/07-map/custom_reducer.ts -p examples/common/initial_parameters.yaml
 */
import { map, pipeline, task } from 'runnable-ts';
import { assert_custom_reducer, max_reducer, process_chunk } from '../common/functions.js';
import { chunkBranch } from './_branch.js';

export default pipeline([
  map('map_state', { iterateOn: 'chunks', iterateAs: 'chunk', branch: chunkBranch(process_chunk), reducer: max_reducer }),
  task(assert_custom_reducer, { name: 'collect' }),
]);
