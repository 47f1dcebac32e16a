/**
 * SDK twin of catalog_no_copy.yaml: `storeCopy: false` records the hashes, copies nothing.
 *
 *   runnable execute-job examples/11-jobs/catalog_no_copy.ts
 */
import { job } from 'runnable-ts';
import { write_files } from '../common/functions.js';

export default job(write_files, { catalog: { put: ['df.csv', 'data_folder/data.txt'], storeCopy: false } });
