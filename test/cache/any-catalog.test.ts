/**
 * The step cache works with any catalog, through the catalog's interface alone: a catalog type
 * registered here (a file-system catalog with its `hashes` and `copyBetweenRuns` capabilities
 * hidden, as a new catalog without them would be) caches and restores `get`/`put` files with no
 * edit of the cache. Runs through the library, in this process, where the type is registered.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FileSystemCatalog } from '../../src/catalog/file-system.js';
import { catalogs } from '../../src/catalog/index.js';
import { withoutCapabilities } from '../catalog/_helpers.js';
import { run, workdir, writeFiles } from '../engine/_helpers.js';

catalogs.register('plain-files', {
  config: z.strictObject({}),
  create: (_config, env) => withoutCapabilities(new FileSystemCatalog(join(env.cwd, '.plain-catalog'))),
});

const PIPELINE = `
dag:
  start_at: produce
  steps:
    produce:
      type: task
      command_type: shell
      command: 'echo produce >> ran.txt; mkdir -p out; echo "rows $n" > out/data.txt'
      cache: true
      catalog: {put: [out/data.txt]}
      next: consume
    consume:
      type: task
      command_type: shell
      command: 'echo consume >> ran.txt; total="$(cat out/data.txt)"; export total'
      cache: true
      returns: [total]
      catalog: {get: [out/data.txt]}
      next: success
`;

describe('the step cache with a catalog that has no capabilities', () => {
  it('restores put files into the run and the working directory, and keys on get files, through get/put/readFile/writeFile', async () => {
    const cwd = workdir({
      'pipeline.yaml': PIPELINE,
      'params.yaml': 'n: 1\n',
      'config.yaml': 'catalog:\n  type: plain-files\n',
    });
    const ran = () => (existsSync(join(cwd, 'ran.txt')) ? readFileSync(join(cwd, 'ran.txt'), 'utf8').trim().split('\n') : []);
    const opts = { params: 'params.yaml', config: 'config.yaml' };

    const first = await run(cwd, opts);
    expect(first.status).toBe('SUCCESS');
    expect(ran()).toEqual(['produce', 'consume']);

    // the working directory loses the file: a hit must restore it from the catalog
    rmSync(join(cwd, 'out'), { recursive: true });
    const second = await run(cwd, opts);
    expect(second.status).toBe('SUCCESS');
    expect(ran()).toEqual(['produce', 'consume']);
    for (const name of ['produce', 'consume']) expect(second.file.steps[name]!.attempts[0]!.cache).toMatchObject({ status: 'hit', source_run: first.runId });
    expect(readFileSync(join(cwd, 'out/data.txt'), 'utf8')).toBe('rows 1\n');
    expect(readFileSync(join(cwd, '.plain-catalog', second.runId, 'out/data.txt'), 'utf8')).toBe('rows 1\n');
    expect(second.file.steps.produce!.data_catalog).toEqual([
      expect.objectContaining({ name: 'out/data.txt', stage: 'put', catalog_relative_path: `${second.runId}/out/data.txt` }),
    ]);
    expect(second.file.steps.consume!.attempts[0]!.output_parameters).toEqual({ total: { kind: 'json', value: 'rows 1' } });

    // a changed parameter: produce runs again and puts other bytes; consume's get file changed
    writeFiles(cwd, { 'params.yaml': 'n: 2\n' });
    const third = await run(cwd, opts);
    expect(ran()).toEqual(['produce', 'consume', 'produce', 'consume']);
    expect(third.file.steps.produce!.attempts[0]!.cache).toMatchObject({ status: 'miss', reason: "parameter 'n' changed" });
    expect(third.file.steps.consume!.attempts[0]!.cache).toMatchObject({ status: 'miss', reason: "parameter 'n' changed; input file out/data.txt changed" }) // a script receives every parameter;
  });
});
