/**
 * SDK twin of notebooks.yaml: a job executing a notebook with its kernel.
 *
 *   runnable execute-job examples/11-jobs/notebooks.ts
 */
import { job, notebook } from 'runnable-ts';

export default job(notebook('examples/common/simple_notebook.ipynb', { name: 'notebook' }));
