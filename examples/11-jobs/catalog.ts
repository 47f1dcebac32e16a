/**
 * SDK twin of catalog.yaml: a job putting two files into the run's catalog.
 *
 *   runnable execute-job examples/11-jobs/catalog.ts
 */
import { job } from 'runnable-ts';
import { write_files } from '../common/functions.js';

export default job(write_files, { catalog: { put: ['df.csv', 'data_folder/data.txt'] } });
