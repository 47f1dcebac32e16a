/** The manifest writer (src/executors/argo/_yaml.ts) reads back as the data it was given. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { parse } from 'yaml';
import { toYaml } from '../../src/executors/argo/_yaml.js';

const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: fc.oneof(fc.constantFrom('a', 'b', ' ', '\n', ':', '#', '-', '"', "'", '{', '[', '|', '>', '*', '&', '!', '%', '@', '`', '\t', '1', '.', '/', '\\'), fc.string({ maxLength: 1 })) }),
    fc.constantFrom('true', 'no', 'null', '~', '1e3', '0x1', '-', '', ' x', 'x ', 'a\n', 'a\n\n', '\nb', 'line 1\nline 2\n', '{{workflow.parameters.run_id}}', 'a: b', '- x', 'on'),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

test('any JSON data round-trips through toYaml and the yaml parser', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 5 }), (data) => {
      expect(parse(toYaml(data))).toEqual(data);
    }),
    { numRuns: 2000 },
  );
});

test('what a manifest holds is readable: plain names, literal blocks for the pods config', () => {
  const text = toYaml({ spec: { templates: [{ name: 'a-b', container: { command: ['runnable', '{{item}}'] } }], data: 'x: 1\ny: 2\n' } });
  expect(text).toBe('spec:\n  templates:\n    - name: a-b\n      container:\n        command:\n          - runnable\n          - "{{item}}"\n  data: |\n    x: 1\n    y: 2\n');
});
