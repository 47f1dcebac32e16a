/**
 * SDK twin of passing_parameters_typescript.yaml: a job returning json, object and metric
 * values; they are the run log's final `parameters`.
 *
 *   runnable execute-job examples/11-jobs/passing_parameters_typescript.ts
 */
import { job, metric, object } from 'runnable-ts';
import { write_parameter } from '../common/functions.js';

export default job(write_parameter, {
  returns: [object('df'), 'integer', 'floater', 'stringer', 'pydantic_param', metric('score')],
});
