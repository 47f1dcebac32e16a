/**
 * SDK twin of passing_parameters_shell.yaml: a shell step returns what it exports (parsed as
 * JSON when it is JSON); TypeScript and shell steps read them.
 *
 *   runnable execute examples/03-parameters/passing_parameters_shell.ts
 */
import { metric, pipeline, shell, task } from 'runnable-ts';
import { read_unpickled_parameter } from '../common/functions.js';

const write = `export integer=1
export floater=3.14
export stringer="hello"
export pydantic_param='{"x": 10, "foo": "bar"}'
export score=0.9
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

export default pipeline([
  shell(write, { name: 'write_parameter', returns: ['integer', 'floater', 'stringer', 'pydantic_param', metric('score')] }),
  task(read_unpickled_parameter, { name: 'read_parameters' }),
  shell(readInShell, { name: 'read_parameters_in_shell' }),
]);
