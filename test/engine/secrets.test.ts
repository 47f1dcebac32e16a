/** Secrets through the CLI: exposed to the steps that ask, masked everywhere they could leak. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogFiles, cli, readCatalog, runIds, step, workdir } from './_helpers.js';
import type { RunLog } from '../../src/runlog/types.js';

const TOKEN = 'S3cr3t-t0ken-XYZ';

const PIPELINE = `
dag:
  start_at: show
  steps:
    show:
      type: task
      command_type: shell
      secrets: [TOKEN]
      command: |
        echo "token on stdout: $TOKEN"
        echo "token on stderr: $TOKEN" >&2
        printf 'split: %s' "\${TOKEN:0:6}"; sleep 0.2; printf '%s\\n' "\${TOKEN:6}"
      next: ts
    ts:
      type: task
      secrets: [TOKEN]
      command: funcs.ts:leak
      next: failing
    failing:
      type: task
      command_type: shell
      secrets: [TOKEN]
      command: 'echo "about to fail with $TOKEN" >&2; exit 4'
      next: success
`;
const FUNCS = `
export async function leak() {
  const t = process.env.TOKEN;
  if (!t) throw new Error('TOKEN not visible');
  console.log('ts sees ' + t);
  process.stdout.write(t.slice(0, 3));
  await new Promise((r) => setTimeout(r, 50));
  process.stdout.write(t.slice(3) + '\\n');
}
`;

function everyFile(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? everyFile(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('secrets', () => {
  it('are given to the steps and masked in output, logs, messages and the run log', async () => {
    const cwd = workdir({ 'pipeline.yaml': PIPELINE, 'funcs.ts': FUNCS });
    const r = await cli(['execute', 'pipeline.yaml', '--json'], cwd, { TOKEN });
    expect(r.code, r.stderr).toBe(1);
    const { run_id, run_log } = JSON.parse(r.stdout) as { run_id: string; run_log: RunLog };

    expect(step(run_log, 'show').status).toBe('SUCCESS');
    expect(step(run_log, 'ts').status).toBe('SUCCESS');
    const failing = step(run_log, 'failing');
    expect(failing.status).toBe('FAIL');
    expect(failing.message).toContain('about to fail with ***');

    expect(r.stderr).toContain('token on stdout: ***');
    expect(r.stderr).toContain('token on stderr: ***');
    expect(r.stderr).toContain('ts sees ***');
    expect(r.stdout).not.toContain(TOKEN);
    expect(r.stderr).not.toContain(TOKEN);

    const logs = catalogFiles(cwd, run_id).filter((f) => f.startsWith('.logs/'));
    expect(logs.length).toBeGreaterThanOrEqual(3);
    const showLog = readCatalog(cwd, run_id, logs.find((f) => f.includes('show'))!);
    expect(showLog).toContain('token on stdout: ***');
    // written in two pieces, masked all the same (the pieces may interleave with stderr)
    expect(showLog).toContain('split: ');
    expect(showLog).not.toContain(TOKEN.slice(0, 6));
    expect(r.stderr).not.toContain(TOKEN.slice(0, 6));
    for (const file of [...everyFile(join(cwd, '.catalog')), ...everyFile(join(cwd, '.run_log_store'))]) {
      expect(readFileSync(file, 'utf8'), file).not.toContain(TOKEN);
    }
  });

  it('a missing secret is bad input: exit 2 before anything runs', async () => {
    const cwd = workdir({ 'pipeline.yaml': PIPELINE, 'funcs.ts': FUNCS });
    const r = await cli(['execute', 'pipeline.yaml'], cwd, { TOKEN: undefined });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('TOKEN');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(runIds(cwd)).toEqual([]);
  });

  it('dotenv secrets reach only the steps that declare them', async () => {
    const cwd = workdir({
      'pipeline.yaml': `
dag:
  start_at: with
  steps:
    with: {type: task, command_type: shell, secrets: [API_KEY], command: 'test "$API_KEY" = from-dotenv && echo "key=$API_KEY"', next: without}
    without: {type: task, command_type: shell, command: 'test -z "$API_KEY"', next: success}
`,
      'runnable-config.yaml': 'secrets: {type: dotenv, config: {location: secrets.env}}\n',
      'secrets.env': 'API_KEY=from-dotenv\n',
    });
    const r = await cli(['execute', 'pipeline.yaml', '--json'], cwd);
    const { run_log } = JSON.parse(r.stdout) as { run_log: RunLog };
    expect(step(run_log, 'with').message).toBe('');
    expect(step(run_log, 'without').message).toBe('');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('key=***');
    expect(r.stderr).not.toContain('from-dotenv');
  });
});
