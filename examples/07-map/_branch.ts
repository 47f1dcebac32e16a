/**
 * The branch the map examples run for each chunk (the YAML twins define it once with an
 * anchor): TypeScript, async TypeScript and shell steps, each returning a value the next checks.
 */
import { pipeline, shell, task, type AnyFunction, type Pipeline } from 'runnable-ts';
import { process_chunk_async, read_processed_chunk } from '../common/functions.js';

const checkAndMultiply = `if [ "$processed_typescript" = $( expr 10 '*' "$chunk" ) ] \\
&& [ "$processed_async" = $( expr 10 '*' "$processed_typescript" ) ] ; then
    echo "yaay"
else
    echo "naay"
    exit 1;
fi
export processed_shell=$( expr 10 '*' "$processed_async")
`;

/** The per-chunk branch, its first step calling `processChunk`. */
export function chunkBranch(processChunk: AnyFunction): Pipeline {
  return pipeline([
    task(processChunk, { name: 'execute_typescript', returns: ['processed_typescript'] }),
    task(process_chunk_async, { name: 'execute_async', returns: ['processed_async'] }),
    shell(checkAndMultiply, { name: 'execute_shell', returns: ['processed_shell'] }),
    task(read_processed_chunk, { name: 'read_chunk' }),
  ]);
}
