/**
 * The JSON Schema of config files (`runnable schema --config`, `schemas/config.schema.json`),
 * for editors: `# yaml-language-server: $schema=...`. Each section is one of its family's
 * registered types with that type's own `config` schema, generated from the same zod schemas
 * the loader checks with, so the two cannot drift.
 */
import * as z from 'zod';
import { cacheModes } from '../cache/index.js';
import { catalogs } from '../catalog/index.js';
import { CONFIG_SECTIONS, type ConfigSectionName } from '../config/load-config.js';
import { pipelineExecutors } from '../executors/index.js';
import { jobExecutors } from '../executors/jobs/index.js';
import type { Registry } from '../registry.js';
import { runLogStores } from '../runlog/index.js';
import { secretsStores } from '../secrets/index.js';

const FAMILIES: Record<Exclude<ConfigSectionName, 'telemetry'>, Registry<unknown>> = {
  'pipeline-executor': pipelineExecutors,
  'job-executor': jobExecutors,
  'run-log-store': runLogStores,
  catalog: catalogs,
  secrets: secretsStores,
  'step-cache': cacheModes,
};

export function configJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const section of CONFIG_SECTIONS) {
    if (section === 'telemetry') {
      properties[section] = TELEMETRY;
      continue;
    }
    const family = FAMILIES[section];
    properties[section] = {
      description: `${section}: one of ${family.types().join(', ')}`,
      anyOf: family.types().map((type) => ({
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          type: { const: type },
          // an empty `config:` is allowed, as the loader allows it
          config: { anyOf: [toJson(family.find(type)!.config), { type: 'null' }] },
        },
      })),
    };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'runnable config',
    description: 'A runnable config file: up to seven sections, each {type, config}.',
    type: 'object',
    additionalProperties: false,
    properties,
  };
}

/** `telemetry` (src/telemetry/): not a plugin family, one exporter with two settings */
const TELEMETRY = {
  description: 'telemetry: otlp (traces over OTLP/HTTP) or none',
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { enum: ['otlp', 'none'] },
    config: {
      anyOf: [
        {
          type: 'object',
          additionalProperties: false,
          properties: { endpoint: { type: 'string', description: 'OTLP/HTTP base URL, e.g. http://collector:4318' }, headers: { type: 'object', additionalProperties: { type: 'string' } } },
        },
        { type: 'null' },
      ],
    },
  },
};

function toJson(schema: z.ZodType): Record<string, unknown> {
  // io 'input': fields with defaults are optional for the person writing the file
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}
