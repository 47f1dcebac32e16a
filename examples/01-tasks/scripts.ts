/**
 * SDK twin of scripts.yaml: one step that executes a shell command.
 *
 *   runnable execute examples/01-tasks/scripts.ts
 */
import { pipeline, shell } from 'runnable-ts';

export default pipeline([shell('echo "hello world!!"', { name: 'shell' })], {
  description: 'A sample pipeline with one step that executes a shell command.',
});
