/**
 * SDK twin of static_parameters_non_python.yaml: parameters reach shell steps as env vars
 * (strings as they are, everything else as compact JSON).
 *
 *   RUNNABLE_PRM_envvar="from env" runnable execute examples/03-parameters/static_parameters_non_python.ts \
 *     -p examples/common/initial_parameters.yaml
 */
import { pipeline, shell } from 'runnable-ts';

const readInEnv = `echo "chunks=$chunks envvar=$envvar"
if [ "$chunks" = "[1, 2, 3]" ] && [ "$envvar" = "from env" ]; then
    echo "yaay"
else
    echo "naay"
    exit 1
fi
`;

const readInShell = `if [ "$integer" = 1 ] \\
  && [ "$floater" = 3.14 ] \\
  && [ "$stringer" = "hello" ] \\
  && [ "$pydantic_param" = '{"x": 10, "foo": "bar"}' ]; then
      echo "yaay"
      exit 0;
  else
      echo "naay"
      exit 1;
fi
`;

export default pipeline([shell(readInEnv, { name: 'read_params_in_env' }), shell(readInShell, { name: 'read_params_in_shell' })]);
