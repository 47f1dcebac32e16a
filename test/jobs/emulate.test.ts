/**
 * The `emulate` job executor, in real runs of the built CLI: the job's task runs in a child
 * process of `runnable execute-job`, as a container or a cluster would run it. Every example
 * job ends as under `local` (statuses, attempts, parameters, catalog hashes, code identity); a
 * child killed mid-task, or stopped by a SIGTERM to runnable, fails the job saying how; what
 * the child could not see (a buffered run log) is refused before anything runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunnableError } from '../../src/errors.js';
import type { RunLog } from '../../src/runlog/types.js';
import { parseJsonSummary, REPO } from '../examples/_run.js';
import { CLI, cleanEnv, cleanup, cli, makeWorkdir } from '../executors/_emulate.js';

afterAll(cleanup);

const EMULATE = 'job-executor: {type: emulate}\nrun-log-store: {type: chunked-fs}\n';
const FOLDER = join(REPO, 'examples', '11-jobs');
// every YAML job of the folder (the configs next to them are not jobs), so a new one is covered
const JOBS = readdirSync(FOLDER)
  .filter((f) => f.endsWith('.yaml') && /^job:/m.test(readFileSync(join(FOLDER, f), 'utf8')))
  .sort()
  .map((f) => `examples/11-jobs/${f}`);
/** The example config, as a user would pass it. */
const EXAMPLE_CONFIG = 'examples/11-jobs/emulate.yaml';

interface JobRun {
  code: number | null;
  stdout: string;
  stderr: string;
  cwd: string;
  log: RunLog;
}

/** `runnable execute-job FILE --json` in a fresh copy of examples/, under `config` (its text, or a .yaml path in the copy) if given. */
async function executeJob(file: string, config?: string, files: Record<string, string> = {}): Promise<JobRun> {
  const cwd = makeWorkdir();
  // the SDK examples import 'runnable-ts': this repository's build, as test/examples/_cli.ts does
  mkdirSync(join(cwd, 'node_modules'));
  symlinkSync(REPO, join(cwd, 'node_modules', 'runnable-ts'), 'dir');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(cwd, name), text);
  let configFile = config;
  if (config && !config.endsWith('.yaml')) writeFileSync(join(cwd, (configFile = 'config.yaml')), config);
  const r = await cli(['execute-job', file, '--json', ...(configFile ? ['-c', configFile] : [])], cwd, {}, 180_000);
  const json = parseJsonSummary(r.stdout);
  if (!json) throw new Error(`no --json summary from execute-job ${file} (exit ${r.code})\n${r.stderr.slice(-3000)}`);
  return { ...r, cwd, log: json.run_log as RunLog };
}

function catalogFiles(run: JobRun): string[] {
  const root = join(run.cwd, '.catalog', run.log.run_id);
  return existsSync(root) ? readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort() : [];
}

const plain = (params: RunLog['parameters']) => Object.fromEntries(Object.entries(params ?? {}).map(([k, p]) => [k, { kind: p.kind, value: p.value }]));

/** What must not depend on where the task ran (not: times, messages, which carry paths). */
function shape(log: RunLog) {
  const job = log.job!;
  return {
    status: log.status,
    parameters: plain(log.parameters),
    job: {
      status: job.status,
      attempts: job.attempts.map((a) => ({ status: a.status, outputs: plain(a.output_parameters), metrics: plain(a.user_defined_metrics) })),
      catalog: job.data_catalog.map((d) => `${d.stage} ${d.name} ${d.data_hash}`).sort(),
      identities: job.code_identities.map((c) => c.code_identifier_type),
    },
  };
}

describe('every example job: same outcome as the local job executor', () => {
  it.each(JOBS)('%s', async (file) => {
    const [local, emulated] = await Promise.all([executeJob(file), executeJob(file, EXAMPLE_CONFIG)]);
    expect(emulated.code, emulated.stderr.slice(-3000)).toBe(local.code);
    expect(emulated.code).toBe(file.endsWith('failing.yaml') ? 1 : 0);
    expect(shape(emulated.log)).toEqual(shape(local.log));
    expect(emulated.log.run_config['job-executor']).toEqual({ type: 'emulate', config: {} });
    // the child recorded the code it ran, as the local executor does
    expect(emulated.log.job!.code_identities.map((c) => c.code_identifier_type)).toEqual(['git']);
    // the same files in the catalog (copies, execution logs, an executed notebook)
    expect(catalogFiles(emulated)).toEqual(catalogFiles(local));
    // the task's output was streamed through runnable
    if (file.endsWith('scripts.yaml')) expect(emulated.stderr + emulated.stdout).toContain('Hello World!');
  }, 240_000);

  it('an SDK job module, and runnable`s spelling `emulator`', async () => {
    const config = EMULATE.replace('type: emulate', 'type: emulator');
    const [local, emulated] = await Promise.all([executeJob('examples/11-jobs/catalog.ts'), executeJob('examples/11-jobs/catalog.ts', config)]);
    expect(emulated.code, emulated.stderr.slice(-3000)).toBe(0);
    expect(shape(emulated.log)).toEqual(shape(local.log));
    expect(emulated.log.job!.data_catalog.map((d) => d.name).sort()).toEqual(['data_folder/data.txt', 'df.csv']);
  }, 240_000);
});

describe('a job whose process dies', () => {
  it('killed mid-task (SIGKILL): the job fails with how it ended and the tail of its stderr', async () => {
    // $PPID of the shell task is the child process running the job
    const yaml = "job:\n  type: task\n  command_type: shell\n  command: 'echo about to die >&2; sleep 1; kill -9 $PPID; sleep 5'\n";
    const r = await executeJob('killed.yaml', EMULATE, { 'killed.yaml': yaml });
    expect(r.code).toBe(1);
    expect(r.log.status).toBe('FAIL');
    const job = r.log.job!;
    expect(job.status).toBe('FAIL');
    expect(job.attempts.map((a) => a.status)).toEqual(['FAIL']);
    expect(job.message).toMatch(/^the job's process was killed by SIGKILL/);
    expect(job.message).toContain('about to die');
    expect(job.code_identities.map((c) => c.code_identifier_type)).toEqual(['git']);
    expect(r.stderr).toMatch(/✗ job/);
  }, 120_000);

  it('SIGTERM to runnable stops the child, which records the job FAIL', async () => {
    const cwd = makeWorkdir();
    writeFileSync(join(cwd, 'config.yaml'), EMULATE);
    writeFileSync(join(cwd, 'slow.yaml'), "job:\n  type: task\n  command_type: shell\n  command: 'echo waiting; sleep 30; touch finished'\n");
    const child = spawn(process.execPath, [CLI, 'execute-job', 'slow.yaml', '-c', 'config.yaml', '--json'], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    // the task's output reaches runnable's stderr (its stdout holds the --json summary)
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.includes('waiting') && !child.killed) child.kill('SIGTERM');
    });
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(Date.now() - started).toBeLessThan(20_000);
    const log = parseJsonSummary(out)!.run_log as RunLog;
    expect(log.status).toBe('FAIL');
    expect(log.job!.attempts.map((a) => a.status)).toEqual(['FAIL']);
    expect(log.job!.message).toContain('SIGTERM');
    expect(existsSync(join(cwd, 'finished'))).toBe(false);
  }, 120_000);
});

describe('what the child process cannot see is refused before the run exists (exit 2)', () => {
  it('the buffered run-log store', async () => {
    const cwd = makeWorkdir();
    writeFileSync(join(cwd, 'config.yaml'), 'job-executor: {type: emulate}\nrun-log-store: {type: buffered}\n');
    writeFileSync(join(cwd, 'touch.yaml'), "job:\n  type: task\n  command_type: shell\n  command: 'touch ran'\n");
    const r = await cli(['execute-job', 'touch.yaml', '-c', 'config.yaml'], cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("field 'run-log-store.type': the emulate job executor runs the task in a child process, which cannot see the 'buffered' run-log store");
    expect(r.stderr).not.toMatch(/started/);
    expect(existsSync(join(cwd, 'ran'))).toBe(false);
    expect(existsSync(join(cwd, '.catalog'))).toBe(false);
  }, 60_000);

  it('a job built in memory', async () => {
    const [{ executeJob: run }, { parseJob }] = await Promise.all([import('../../src/runner/job.js'), import('../../src/yaml/load-pipeline.js')]);
    const cwd = makeWorkdir();
    writeFileSync(join(cwd, 'config.yaml'), EMULATE);
    const job = parseJob("job:\n  type: task\n  command_type: shell\n  command: 'touch ran'\n", '<sdk job>');
    const err = await run({ job, cwd, env: cleanEnv(), configFile: 'config.yaml' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunnableError);
    expect((err as RunnableError).message).toMatch(/the emulate job executor runs the task in a child process, which loads the job from its file, and this job was built in memory/);
    expect(existsSync(join(cwd, 'ran'))).toBe(false);
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);
  }, 60_000);
});
