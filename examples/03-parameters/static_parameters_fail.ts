/**
 * SDK twin of static_parameters_fail.yaml: an on-failure handler that reads the initial
 * parameters.
 *
 *   RUNNABLE_PRM_envvar="from env" runnable execute examples/03-parameters/static_parameters_fail.ts \
 *     -p examples/common/initial_parameters.yaml
 */
import { pipeline, task } from 'runnable-ts';
import { raise_ex, read_initial_params_as_pydantic } from '../common/functions.js';

const handler = pipeline([task(read_initial_params_as_pydantic, { name: 'read_params_in_typescript' })]);

export default pipeline([task(raise_ex, { name: 'read_params_and_fail', onFailure: handler })]);
