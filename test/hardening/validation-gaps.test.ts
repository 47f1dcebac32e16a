/**
 * Issue 13 item 9: a catalog `put` pattern that leaves the working directory is refused before
 * anything runs (validate and execute, YAML and SDK), as `get` patterns are; and text from the
 * command line, run logs and the store's folder is escaped before it reaches the terminal, so a
 * tag or a step name cannot move the cursor or forge lines of `runs list`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { task } from '../../src/sdk/index.js';
import { printable } from '../../src/util/printable.js';
import { cli, oneStep, workdir } from './_cli.js';

const ESCAPING = ['../out.txt', '../../etc/x', 'a/../../b', '/tmp/abs', '{..,x}/y', 'x/@(..)/z', '\\.\\./q', 'C:\\\\data', './../t'];

describe.concurrent('catalog patterns that leave their root are refused before anything runs', () => {
  const cases = ESCAPING.flatMap((pattern) => (['put', 'get'] as const).map((stage) => [stage, pattern] as const));
  it.for(cases)('%s %s', async ([stage, pattern], { expect }) => {
    const yaml = oneStep(`command_type: shell\ncommand: "echo RAN > ran.txt"\ncatalog: {${stage}: [${JSON.stringify(pattern)}]}`);
    const dir = workdir({ 'p.yaml': yaml });
    for (const args of [['validate', 'p.yaml'], ['execute', 'p.yaml']]) {
      const r = await cli(args, dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`p\\.yaml:\\d+: step 's', field 'catalog\\.${stage}\\[0\\]': pattern .* (leaves|is an absolute path)`));
    }
    expect(existsSync(path.join(dir, 'ran.txt'))).toBe(false);
    expect(existsSync(path.join(dir, '.run_log_store'))).toBe(false);
  });

  it('the SDK refuses them where the step is built', () => {
    for (const pattern of ESCAPING) {
      expect(() => task(function f() {}, { catalog: { put: [pattern] } })).toThrow(/catalog\.put\[0\]|leaves|absolute/);
      expect(() => task(function f() {}, { catalog: { get: [pattern] } })).toThrow(/leaves|absolute/);
    }
  });

  it('patterns that stay inside are fine', async () => {
    const dir = workdir({ 'p.yaml': oneStep('command_type: shell\ncommand: "mkdir -p out && echo x > out/a.txt"\ncatalog: {put: ["out/*.txt", "./out/../out/a.txt", "out/**"]}') });
    const r = await cli(['execute', 'p.yaml'], dir);
    expect(r.code, r.stderr).toBe(0);
  });
});

const FORGE = 'x\nforged-run\tSUCCESS\u001b[2J\u001b]0;title\u0007\u202eevil\u0085';

describe('control characters are escaped on the terminal', () => {
  it('printable() leaves no control or bidi character', () => {
    const out = printable(FORGE);
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(out).toBe('x\\x0aforged-run\\x09SUCCESS\\x1b[2J\\x1b]0;title\\x07\\u202eevil\\x85');
  });

  it('a tag and step names with control characters cannot forge runs list or runs show lines', async () => {
    const dir = workdir({
      'p.yaml': `dag:\n  start_at: "s\\u001b[31m"\n  steps:\n    "s\\u001b[31m":\n      type: task\n      command_type: shell\n      command: "exit 3"\n      next: success\n`,
    });
    const run = await cli(['execute', 'p.yaml', '--run-id', 'tagged', '--tag', FORGE], dir);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).not.toMatch(/\u001b/);
    expect(run.stderr).toContain('s\\x1b[31m');
    const list = await cli(['runs', 'list'], dir);
    expect(list.code).toBe(0);
    expect(list.stdout.trim().split('\n'), list.stdout).toHaveLength(1);
    expect(list.stdout).not.toMatch(/^forged-run/m);
    expect(list.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(list.stdout).toContain('x\\x0aforged-run\\x09SUCCESS\\x1b[2J');
    const show = await cli(['runs', 'show', 'tagged'], dir);
    expect(show.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(show.stdout).toMatch(/^ {2}tag {7}x\\x0aforged-run/m);
    expect(show.stdout).toMatch(/^ +s\\x1b\[31m +task +FAIL /m);
    // --json keeps the exact text (JSON escapes it)
    const json = await cli(['runs', 'list', '--json'], dir);
    expect(JSON.parse(json.stdout)[0].tag).toBe(FORGE);
  });

  it('an error message echoing a file name escapes it', async () => {
    const dir = workdir();
    const r = await cli(['validate', 'no\u001b[2Jsuch.yaml'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/\u001b/);
    expect(r.stderr).toContain('no\\x1b[2Jsuch.yaml');
  });
});
