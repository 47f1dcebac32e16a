/**
 * Issue 13 item 11: the YAML, config and parameter loaders under property-based fuzzing
 * (fast-check, seeded so a failure reproduces): whatever text they are given, they return a
 * model or throw a RunnableError whose message is one line; never another exception (a crash,
 * a stack overflow). A sample of the same inputs goes through the CLI: exit 0, 1 or 2, one-line
 * errors, no stack trace.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { isRunnableError } from '../../src/errors.js';
import { loadInitialParameters } from '../../src/params/load.js';
import { parsePipeline } from '../../src/yaml/load-pipeline.js';
import { cli, STACK_LINE, workdir } from './_cli.js';

const SEED = 13_013;

/** Pieces that make YAML interesting: anchors, aliases, merge keys, tags, odd scalars, names runnable cares about. */
const token = fc.constantFrom(
  'dag:', 'start_at: s', 'steps:', 's:', 'type: task', 'type: map', 'type: parallel', 'type: stub', 'next: success', 'command: fns.ts:f',
  'command_type: shell', 'returns: [x]', 'returns: [PATH]', 'iterate_on: xs', 'iterate_as: x', 'branch:', 'branches:', 'catalog: {put: ["../x"]}',
  '&a', '*a', '<<: *a', '!!binary', '.inf', '.nan', '~', '"\\u001b[2J"', "'\\n'", '- ', '[', ']', '{', '}', ':', '---', '? ', '|', '>', '#',
  'pipeline-executor:', 'run-log-store:', 'type: local', 'config: {}', '__proto__:', 'BASH_ENV: x', 'x: &x [*x]', '1e999', '0x1F',
);
const line = fc.tuple(fc.integer({ min: 0, max: 6 }), fc.array(fc.oneof(token, fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 4 })).map(([indent, parts]) => ' '.repeat(indent) + parts.join(' '));
const yamlText = fc.array(line, { minLength: 0, maxLength: 12 }).map((lines) => lines.join('\n') + '\n');

function settled(run: () => unknown): Promise<'ok' | string> {
  return Promise.resolve()
    .then(run)
    .then(
      () => 'ok',
      (e: unknown) => {
        if (!isRunnableError(e)) throw e; // any other exception is the bug this test looks for
        return e.format();
      },
    );
}

describe('the loaders take any text: a model or a one-line RunnableError', () => {
  const dir = workdir();
  it('pipeline YAML', async () => {
    await fc.assert(
      fc.asyncProperty(yamlText, async (text) => {
        const out = await settled(() => parsePipeline(text, 'p.yaml'));
        expect(out).not.toContain('\n');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
  it('parameters files', async () => {
    await fc.assert(
      fc.asyncProperty(yamlText, async (text) => {
        writeFileSync(path.join(dir, 'params.yaml'), text);
        const out = await settled(() => loadInitialParameters({ file: 'params.yaml', cwd: dir, env: {} }));
        expect(out).not.toContain('\n');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
  it('RUNNABLE_PRM_ variables', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), async (name, value) => {
        const out = await settled(() => loadInitialParameters({ cwd: dir, env: { [`RUNNABLE_PRM_${name}`]: value } }));
        expect(out).not.toContain('\n');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
  it('config files', async () => {
    await fc.assert(
      fc.asyncProperty(yamlText, async (text) => {
        writeFileSync(path.join(dir, 'c.yaml'), text);
        const out = await settled(() => loadConfig({ file: 'c.yaml', cwd: dir, env: {} }));
        expect(out).not.toContain('\n');
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

describe('a sample through the CLI: exit 0, 1 or 2, one line, no stack trace', () => {
  it('pipelines, parameters and configs', async () => {
    const samples = fc.sample(yamlText, { seed: SEED, numRuns: 12 });
    const dir = workdir({ 'ok.yaml': 'dag:\n  start_at: s\n  steps:\n    s: {type: stub, next: success}\n' });
    for (const [i, text] of samples.entries()) {
      writeFileSync(path.join(dir, 'f.yaml'), text);
      for (const args of [['validate', 'f.yaml'], ['execute', 'ok.yaml', '-p', 'f.yaml', '--run-id', `p${i}`], ['execute', 'ok.yaml', '-c', 'f.yaml', '--run-id', `c${i}`]]) {
        const r = await cli(args, dir);
        expect([0, 1, 2], `${args.join(' ')}\n${text}\n${r.stderr}`).toContain(r.code);
        expect(r.stderr).not.toMatch(STACK_LINE);
        if (r.code === 2) expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      }
    }
  });
});
