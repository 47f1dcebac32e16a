import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { globSync } from 'tinyglobby';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jobJsonSchema, pipelineJsonSchema } from '../../src/yaml/json-schema.js';

type S = Record<string, any>;

/**
 * Just enough of JSON Schema 2020-12 for what z.toJSONSchema emits here (no ajv in the
 * project): returns the first violation, or undefined.
 */
function check(root: S, schema: S, v: unknown, at = '$'): string | undefined {
  if (schema.$ref) return check(root, root.$defs[String(schema.$ref).replace('#/$defs/', '')], v, at);
  if (schema.anyOf) return schema.anyOf.some((s: S) => !check(root, s, v, at)) ? undefined : `${at}: no anyOf branch matches`;
  if (schema.oneOf) {
    const n = schema.oneOf.filter((s: S) => !check(root, s, v, at)).length;
    if (n === 1) return undefined;
    // a discriminated union: explain with the branch the value's `type` selects
    const chosen = schema.oneOf.find((s: S) => s.properties?.type?.const === (v as S | null)?.type);
    return (n === 0 && chosen && check(root, chosen, v, at)) || `${at}: ${n} oneOf branches match`;
  }
  if ('const' in schema && v !== schema.const) return `${at}: not ${schema.const}`;
  if (schema.enum && !schema.enum.includes(v)) return `${at}: not in enum`;
  const t = Array.isArray(v) ? 'array' : v === null ? 'null' : Number.isInteger(v) ? 'integer' : typeof v;
  const types: string[] = schema.type === undefined ? [] : [schema.type].flat();
  if (types.length && !types.includes(t) && !(t === 'integer' && types.includes('number'))) return `${at}: ${t} is not ${types}`;
  if (typeof v === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern).test(v)) return `${at}: does not match ${schema.pattern}`;
    if (schema.minLength && v.length < schema.minLength) return `${at}: too short`;
  }
  if (typeof v === 'number' && schema.minimum !== undefined && v < schema.minimum) return `${at}: below minimum`;
  if (Array.isArray(v) && schema.items) {
    for (const [i, x] of v.entries()) {
      const e = check(root, schema.items, x, `${at}[${i}]`);
      if (e) return e;
    }
  }
  if (t === 'object') {
    const o = v as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in o)) return `${at}: missing ${r}`;
    for (const [k, x] of Object.entries(o)) {
      if (schema.propertyNames) {
        const e = check(root, schema.propertyNames, k, `${at}.${k}(name)`);
        if (e) return e;
      }
      const sub = schema.properties?.[k] ?? schema.additionalProperties;
      if (sub === false) return `${at}: unknown property ${k}`;
      if (sub && typeof sub === 'object') {
        const e = check(root, sub, x, `${at}.${k}`);
        if (e) return e;
      }
    }
  }
  return undefined;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const examples = globSync('fixtures/runnable-examples/**/*.yaml', { cwd: here }).sort();

describe('pipelineJsonSchema', () => {
  const schema = pipelineJsonSchema();

  it('is plain JSON, draft 2020-12, with the recursive parts as $defs', () => {
    const copy = JSON.parse(JSON.stringify(schema));
    expect(copy).toEqual(schema);
    expect(copy.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(copy.$defs).sort()).toEqual(['Branch', 'Step']);
    expect(copy.required).toEqual(['dag']);
    expect(copy.$defs.Step.oneOf).toHaveLength(8);
  });

  it.each(examples)('accepts %s', (f) => {
    expect(check(schema, schema, parse(readFileSync(path.join(here, f), 'utf8'), { merge: true }))).toBeUndefined();
  });

  it('rejects an unknown field, an unknown type and a bad name', () => {
    const doc = (step: object) => ({ dag: { start_at: 'a', steps: { a: step } } });
    expect(check(schema, schema, doc({ type: 'task', command: 'src/a.ts', next: 'success' }))).toBeUndefined();
    expect(check(schema, schema, doc({ type: 'task', command: 'src/a.ts', nxt: 'success' }))).toBeDefined();
    expect(check(schema, schema, doc({ type: 'tsk', command: 'src/a.ts', next: 'success' }))).toBeDefined();
    expect(check(schema, schema, doc({ type: 'stub', anything: 1, next: 'success' }))).toBeUndefined();
    expect(
      check(schema, schema, doc({ type: 'map', iterate_on: 'my-list', iterate_as: 'x', next: 'success', branch: { start_at: 'a', steps: {} } })),
    ).toMatch(/iterate_on/);
    expect(check(schema, schema, { dag: { start_at: 'a', steps: { 'a.b': { type: 'stub', next: 'success' } } } })).toMatch(/name/);
  });
});

describe('jobJsonSchema', () => {
  it('describes a top-level job task', () => {
    const schema = jobJsonSchema();
    expect(check(schema, schema, { job: { command: 'src/train.ts:train', returns: ['score'] } })).toBeUndefined();
    expect(check(schema, schema, { job: { command: 'src/train.ts:train', next: 'success' } })).toBeDefined();
  });
});
