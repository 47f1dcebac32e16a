/**
 * SDK twin of static_parameters_typescript.yaml: the initial parameters (`-p`) and
 * `RUNNABLE_PRM_envvar`, bound by name to named arguments and to a destructured object.
 *
 *   RUNNABLE_PRM_envvar="from env" runnable execute examples/03-parameters/static_parameters_typescript.ts \
 *     -p examples/common/initial_parameters.yaml
 */
import { pipeline, task } from 'runnable-ts';
import { read_initial_params_as_json, read_initial_params_as_pydantic } from '../common/functions.js';

export default pipeline([
  task(read_initial_params_as_pydantic, { name: 'read_params_as_pydantic' }),
  task(read_initial_params_as_json, { name: 'read_params_as_json' }),
]);
