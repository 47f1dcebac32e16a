/**
 * SDK twin of catalog_no_copy.yaml: `storeCopy: false` records the files' hashes without
 * copying them into the catalog.
 *
 *   runnable execute examples/04-catalog/catalog_no_copy.ts
 */
import { pipeline, shell, task } from 'runnable-ts';
import { check_files_do_not_exist, write_files } from '../common/functions.js';

export default pipeline([
  task(write_files, { name: 'generate_data_typescript', catalog: { put: ['df.csv', 'data_folder/data.txt'], storeCopy: false } }),
  shell('rm df.csv || true && \\\nrm data_folder/data.txt || true\n', { name: 'delete_after_generate' }),
  task(check_files_do_not_exist),
]);
