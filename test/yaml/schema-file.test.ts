import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipelineJsonSchema } from '../../src/yaml/json-schema.js';

// Editors read schemas/pipeline.schema.json (`# yaml-language-server: $schema=...`); it must
// match what `runnable schema` prints. Regenerate with `npm run schema`.
describe('schemas/pipeline.schema.json', () => {
  it('is the schema `runnable schema` prints', () => {
    const file = path.join(import.meta.dirname, '..', '..', 'schemas', 'pipeline.schema.json');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(pipelineJsonSchema());
  });
});
