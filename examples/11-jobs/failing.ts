/**
 * SDK twin of failing.yaml: `execute()` rejects with JobFailedError, holding the run log.
 *
 *   runnable execute-job examples/11-jobs/failing.ts
 */
import { job } from 'runnable-ts';
import { raise_ex } from '../common/functions.js';

export default job(raise_ex);
