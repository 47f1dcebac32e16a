/**
 * SDK twin of catalog_on_fail.yaml: a failed step puts nothing into the catalog; its
 * on-failure handler lets the run succeed.
 *
 *   runnable execute examples/04-catalog/catalog_on_fail.ts
 */
import { pipeline, shell, stub } from 'runnable-ts';

export default pipeline([
  shell('touch df.csv && \\\nexit 1\n', {
    name: 'fail_immediately',
    catalog: { put: ['df.csv', 'data_folder/data.txt'] },
    onFailure: pipeline([stub('success node')]),
  }),
]);
