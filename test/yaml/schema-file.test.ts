import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/runner/config-schema.js';
import { jobJsonSchema, pipelineJsonSchema } from '../../src/yaml/json-schema.js';

// Editors read schemas/*.schema.json (`# yaml-language-server: $schema=...`); each must match
// what `runnable schema [--job|--config]` prints. Regenerate with `npm run schema`.
const read = (name: string) => JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'schemas', name), 'utf8'));

describe('schemas/ shipped with the package', () => {
  it('pipeline.schema.json is the schema `runnable schema` prints', () => {
    expect(read('pipeline.schema.json')).toEqual(pipelineJsonSchema());
  });
  it('job.schema.json is `runnable schema --job`', () => {
    expect(read('job.schema.json')).toEqual(jobJsonSchema());
  });
  it('config.schema.json is `runnable schema --config` (npm run schema after registering a plugin)', () => {
    expect(read('config.schema.json')).toEqual(configJsonSchema());
  });
});
