/**
 * SDK twin of catalog.yaml: files `put` into the run's catalog (by name and by folder glob),
 * `get` back by TypeScript and shell steps, and `storeCopy: false` (hash recorded, no copy).
 *
 *   runnable execute examples/04-catalog/catalog.ts
 */
import { pipeline, shell, task } from 'runnable-ts';
import { read_files, write_files } from '../common/functions.js';

const deleteFiles = (name: string) =>
  shell('rm -f df.csv data_folder/data.txt\ntest ! -e df.csv && test ! -e data_folder/data.txt\n', { name });

export default pipeline([
  task(write_files, { name: 'generate_data', catalog: { put: ['df.csv', 'data_folder/*'] } }),
  deleteFiles('delete_after_generate'),
  task(read_files, { name: 'read_data_typescript', catalog: { get: ['df.csv', 'data_folder/*.txt'] } }),
  deleteFiles('delete_after_typescript_get'),
  shell(
    `test "$(head -n 1 df.csv)" = "calories,duration" || exit 1
test "$(wc -l < df.csv)" -eq 4 || exit 1
grep -qx "hello world" data_folder/data.txt || exit 1
echo yes
`,
    { name: 'read_data_shell', catalog: { get: ['df.csv', 'data_folder/data.txt'] } },
  ),
  deleteFiles('delete_after_shell_get'),
  shell('mkdir -p reports\necho "rows=3" > reports/summary.txt\n', {
    name: 'write_report',
    catalog: { put: ['reports/summary.txt'], storeCopy: false }, // record the hash, do not copy
  }),
  shell(
    `test -n "$RUNNABLE_RUN_ID" || exit 1
test -f reports/summary.txt || exit 1
test ! -e ".catalog/$RUNNABLE_RUN_ID/reports/summary.txt" || exit 1
echo "not copied"
`,
    { name: 'check_report_not_copied' },
  ),
]);
