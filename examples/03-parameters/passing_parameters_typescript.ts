/**
 * SDK twin of passing_parameters_typescript.yaml: returns named positionally, of kinds json
 * (plain names), object (`df`, kept in the catalog) and metric (`score`).
 *
 *   runnable execute examples/03-parameters/passing_parameters_typescript.ts
 */
import { metric, object, pipeline, task } from 'runnable-ts';
import { read_parameter, write_parameter } from '../common/functions.js';

export default pipeline([
  task(write_parameter, {
    name: 'set_parameter',
    returns: [object('df'), 'integer', 'floater', 'stringer', 'pydantic_param', metric('score')],
  }),
  task(read_parameter, { name: 'get_parameters' }),
]);
