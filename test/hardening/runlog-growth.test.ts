/**
 * Issue 13 item 4: a run log that grows linearly with a map's size. A shell step used to record
 * every parameter it received as input_parameters, so each branch of a map copied the whole
 * `iterate_on` list: 4× the run log for 2× the items. Now a shell attempt records its own
 * scope's parameters and those of enclosing scopes its command names, and `runs show --json`
 * streams its output (byte for byte what JSON.stringify gives).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeJson } from '../../src/util/json-stream.js';
import { CLI, cleanEnv, run, step, workdir } from '../engine/_helpers.js';

const mapPipeline = (command: string) => `dag:
  start_at: first
  steps:
    first: {type: task, command_type: shell, command: 'echo "$label"', next: fan}
    fan:
      type: map
      iterate_on: items
      iterate_as: item
      next: success
      branch:
        start_at: echo
        steps:
          echo: {type: task, command_type: shell, command: '${command}', next: success}
`;

async function runMap(items: number, command = 'echo "$item"') {
  const list = Array.from({ length: items }, (_, i) => `item-number-${i}`);
  const cwd = workdir({ 'pipeline.yaml': mapPipeline(command), 'params.yaml': `label: x\nitems: ${JSON.stringify(list)}\n` });
  const r = await run(cwd, { params: 'params.yaml' });
  expect(r.status).toBe('SUCCESS');
  return { ...r, bytes: statSync(join(cwd, '.run_log_store', `${r.runId}.json`)).size };
}

describe('a shell map run log grows linearly', () => {
  it('doubling the items at most doubles the run log (plus a margin), and a branch records its item, not the list', async () => {
    const small = await runMap(40);
    const large = await runMap(80);
    expect(large.bytes / small.bytes).toBeLessThan(2.3);
    const inputs = step(large.runLog, 'fan.item-number-7.echo').attempts[0]!.input_parameters;
    expect(inputs).toEqual({ item: { kind: 'json', value: 'item-number-7' } });
    // a top-level step still records what the run's scope holds
    expect(Object.keys(step(large.runLog, 'first').attempts[0]!.input_parameters).sort()).toEqual(['items', 'label']);
  }, 120_000);

  it('a branch step whose command names an enclosing scope parameter records it', async () => {
    const r = await runMap(3, 'echo "$item of ${items}" && printenv label');
    expect(Object.keys(step(r.runLog, 'fan.item-number-1.echo').attempts[0]!.input_parameters).sort()).toEqual(['item', 'items', 'label']);
  }, 60_000);
});

describe('runs show --json streams', () => {
  it('writes exactly what JSON.stringify(value, null, 2) gives', async () => {
    const value = { a: [1, [2, { b: [] }], {}, 'x\ny', null], c: { d: { e: { f: { g: { h: { i: { j: { k: [1, 2] } } } } } } } }, u: undefined, n: -0.5 };
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await writeJson(out, value);
    expect(Buffer.concat(chunks).toString()).toBe(JSON.stringify(value, null, 2) + '\n');
  });

  it('prints the run log of a run through the CLI, equal to the stored one', async () => {
    const r = await runMap(5);
    const show = spawnSync(process.execPath, [CLI, 'runs', 'show', r.runId, '--json'], { cwd: r.cwd, encoding: 'utf8', env: cleanEnv() });
    expect(show.status).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual(JSON.parse(readFileSync(join(r.cwd, '.run_log_store', `${r.runId}.json`), 'utf8')));
  }, 60_000);
});
