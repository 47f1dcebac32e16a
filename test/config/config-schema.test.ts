/** The config files' JSON Schema accepts what the loader accepts and refuses typos, as an editor would show them. */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/runner/config-schema.js';

const validate = new Ajv2020({ strict: false, allErrors: true }).compile(configJsonSchema());
const ok = (yaml: string) => validate(parse(yaml) ?? {});

describe('config JSON Schema', () => {
  it('accepts configs the loader accepts, runnable spellings included', () => {
    expect(ok('pipeline-executor: {type: local, config: {max_parallel: 4}}\nrun-log-store: {type: chunked-fs}\n')).toBe(true);
    expect(ok('pipeline-executor:\n  type: emulator\nsecrets:\n  type: dotenv\n  config:\n    location: .env\n')).toBe(true);
    expect(ok('pipeline-executor:\n  type: local\n  config:\n    enable_parallel: true\ncatalog:\n  type: do-nothing\n  config:\n')).toBe(true);
    expect(ok('step-cache: {type: all}\njob-executor: {type: emulate}\n')).toBe(true);
  });

  it('refuses an unknown section, type or config key', () => {
    expect(ok('pipeline-executors: {type: local}\n')).toBe(false);
    expect(ok('pipeline-executor: {type: lokal}\n')).toBe(false);
    expect(ok('pipeline-executor: {type: local, config: {max_paralel: 2}}\n')).toBe(false);
    expect(ok('run-log-store: {type: file-system, config: {log_folder: 3}}\n')).toBe(false);
  });
});
