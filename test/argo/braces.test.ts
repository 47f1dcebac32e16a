/**
 * Map items that look like Argo expressions (`{{item}}`, unbalanced braces) reach the steps as written under Argo: the fan-out pod writes the
 * iterations Argo reads with `{{` escaped as JSON's `\u007b`, so no stage of Argo's substitution
 * (task arguments, then each nested template's inputs) takes a user's value for an expression.
 * The test interpreter (./_interpreter.ts, standing in for the Argo controller) substitutes stage
 * by stage as Argo does and refuses an unresolved `{{...}}`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import type { BranchLog } from '../../src/runlog/types.js';
import { cleanup, makeWorkdir } from '../executors/_emulate.js';
import { compile, interpret, uniqueRunId } from './_harness.js';

afterAll(cleanup);

// map items name branches, so they hold no '.': `{{item}}` is an expression Argo knows in every template
const ITEMS = ['{{item}}', '{{ item }}', 'a}}b{{c', '{{{x}}}', 'plain'];

test('map items holding {{ and }} reach their steps unchanged, through a nested parallel', async () => {
  const cwd = makeWorkdir();
  writeFileSync(join(cwd, 'braces.ts'), 'export function seen(item: string): string {\n  return item;\n}\n');
  writeFileSync(join(cwd, 'params.yaml'), `items: ${JSON.stringify(ITEMS)}\n`);
  writeFileSync(
    join(cwd, 'braces.yaml'),
    `dag:
  start_at: each
  steps:
    each:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: both
        steps:
          both:
            type: parallel
            next: success
            branches:
              one:
                start_at: look
                steps:
                  look:
                    type: task
                    command: braces.ts:seen
                    returns: [seen]
                    next: success
`,
  );
  const compiled = await compile('braces.yaml', { cwd, params: 'params.yaml' });
  const run = await interpret(compiled, uniqueRunId('braces'));
  const failed = run.pods.filter((p) => p.phase !== 'Succeeded').map((p) => `${p.template}: ${p.stderr.slice(-400)}`);
  expect(run.phase, failed.join('\n')).toBe('Succeeded');
  const branches = Object.values(run.runLog!.steps.each!.branches) as BranchLog[];
  expect(branches.map((b) => b.parameters.item?.value).sort()).toEqual([...ITEMS].sort());
  for (const b of branches) {
    const both = Object.values(b.steps).find((s) => s.name === 'both')!;
    const look = Object.values((Object.values(both.branches)[0] as BranchLog).steps).find((s) => s.name === 'look')!;
    expect(look.attempts[0]!.output_parameters.seen?.value).toBe(b.parameters.item?.value);
  }
}, 300_000);
