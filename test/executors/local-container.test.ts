/**
 * `local-container` with real containers (podman; the tests fail, not skip, when it does not
 * work): the portability matrix's local-container column (every kind of example pipeline gives
 * the same statuses and parameters as `local`), the image digest in each task's code identities,
 * per-step overrides of image and environment, and a container killed mid-step failing its step
 * cleanly, after which `runnable retry` completes the run.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ONE_OF_EACH_KIND, cleanup, cli, makeWorkdir, signature, type MatrixCase } from './_emulate.js';
import { IMAGE, containersOf, deriveImage, engine, ensureImage, imageDigest, sleep, startCli } from './_container.js';
import { parseJsonSummary } from '../examples/_run.js';
import type { RunLog, StepLog } from '../../src/runlog/types.js';

const CHUNKED = 'run-log-store: {type: chunked-fs}\n';
const containerConfig = (extra = '') =>
  `pipeline-executor:\n  type: local-container\n  config:\n    docker_image: ${IMAGE}\n    max_parallel: 4\n    environment: {FIX_RANDOM_TOSS: heads}\n${extra}${CHUNKED}`;

const dirs: string[] = [];
function workdir(config: string): string {
  const cwd = makeWorkdir();
  dirs.push(cwd);
  writeFileSync(join(cwd, 'config.yaml'), config);
  return cwd;
}

async function execute(config: string, pipeline: string, params = false, extraArgs: string[] = []) {
  const cwd = workdir(config);
  const args = ['execute', pipeline, '--json', '-c', 'config.yaml', ...(params ? ['-p', 'examples/common/initial_parameters.yaml'] : []), ...extraArgs];
  const result = await cli(args, cwd, {}, 600_000);
  const json = parseJsonSummary(result.stdout);
  if (!json) throw new Error(`no --json summary from runnable ${args.join(' ')} (exit ${result.code}) in ${cwd}\n${result.stderr.slice(-3000)}`);
  return { ...result, cwd, runLog: json.run_log as RunLog };
}

function tasks(log: RunLog): StepLog[] {
  const out: StepLog[] = [];
  const visit = (c: { steps: Record<string, StepLog> }) => {
    for (const s of Object.values(c.steps ?? {})) {
      if (s.step_type === 'task') out.push(s);
      for (const b of Object.values(s.branches ?? {})) visit(b);
    }
  };
  visit(log);
  return out;
}

const dockerIdentity = (s: StepLog) => s.code_identities.find((c) => c.code_identifier_type === 'docker');

let digest = '';
beforeAll(async () => {
  await ensureImage();
  digest = await imageDigest(IMAGE);
}, 600_000);

afterAll(() => {
  cleanup();
  if (process.env.KEEP_EXAMPLE_DIRS !== '1') for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});


const CASES = ONE_OF_EACH_KIND;

// Containers spend much of their start waiting: up to AHEAD cases run at once, each describe
// starting the next ones (so that `-t` filtering still runs only what it selects, plus a few).
type Run = Awaited<ReturnType<typeof execute>>;
const AHEAD = 3;
const pairs = new Map<MatrixCase, Promise<[Run, Run]>>();
function pair(c: MatrixCase): Promise<[Run, Run]> {
  let p = pairs.get(c);
  if (!p) {
    p = Promise.all([execute(CHUNKED, c.pipeline, c.params), execute(containerConfig(), c.pipeline, c.params)]);
    p.catch(() => undefined); // reported by the describe that awaits it
    pairs.set(c, p);
  }
  return p;
}

describe.each(CASES)('portability: $pipeline', (c) => {
  let local: Run;
  let container: Run;
  beforeAll(async () => {
    const at = CASES.indexOf(c);
    for (const next of CASES.slice(at, at + AHEAD)) void pair(next);
    [local, container] = await pair(c);
  }, 600_000);

  it('gives the same statuses and final parameters under local and local-container', () => {
    expect(local.runLog.status, local.stderr.slice(-2000)).toBe(c.status);
    expect(container.code, container.stderr.slice(-3000)).toBe(c.status === 'SUCCESS' ? 0 : 1);
    expect((container.runLog.run_config['pipeline-executor'] as { type: string }).type).toBe('local-container');
    expect(signature(container.runLog)).toEqual(signature(local.runLog));
  });

  it("records the image digest in every task's code identities", () => {
    const ran = tasks(container.runLog);
    expect(ran.length).toBeGreaterThan(0);
    for (const s of ran) {
      expect(s.code_identities[0]?.code_identifier_type, s.internal_name).toBe('git');
      expect(dockerIdentity(s), s.internal_name).toMatchObject({ code_identifier: digest, code_identifier_url: IMAGE, code_identifier_dependable: true });
    }
    for (const s of tasks(local.runLog)) expect(dockerIdentity(s)).toBeUndefined();
  });
});

describe('per-step overrides', () => {
  const ALT = 'localhost/runnable-ts-node:test-alt';
  let run: Awaited<ReturnType<typeof execute>>;
  let altDigest = '';
  beforeAll(async () => {
    const cwd = workdir('');
    await deriveImage(ALT, cwd, 'alt image');
    altDigest = await imageDigest(ALT);
    const step = (name: string, next: string, override = '') => `    ${name}:
      type: task
      command_type: shell
      command: |
        export ${name}_greeting="$GREETING"
        export ${name}_level="$LEVEL"
        export ${name}_marker="$(cat /etc/runnable-marker 2>/dev/null || echo none)"
      returns: [${name}_greeting, ${name}_level, ${name}_marker]
${override}      next: ${next}
`;
    writeFileSync(join(cwd, 'overrides.yaml'), `dag:\n  start_at: plain\n  steps:\n${step('plain', 'special')}${step('special', 'success', '      overrides: {local-container: alt}\n')}`);
    const overrides = `    environment: {GREETING: hello, LEVEL: base}\n    overrides:\n      alt: {docker_image: ${ALT}, environment: {GREETING: hi from alt}}\n`;
    writeFileSync(join(cwd, 'config.yaml'), `pipeline-executor:\n  type: local-container\n  config:\n    docker_image: ${IMAGE}\n${overrides}${CHUNKED}`);
    const result = await cli(['execute', 'overrides.yaml', '--json', '-c', 'config.yaml'], cwd, {}, 300_000);
    const json = parseJsonSummary(result.stdout);
    if (!json) throw new Error(`no --json summary (exit ${result.code})\n${result.stderr.slice(-3000)}`);
    run = { ...result, cwd, runLog: json.run_log as RunLog };
  }, 600_000);
  afterAll(async () => {
    await engine(['rmi', '-f', ALT]).catch(() => undefined);
  });

  it('runs a step with an override in its image, with its environment merged over the config', () => {
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    const p = Object.fromEntries(Object.entries(run.runLog.parameters).map(([k, v]) => [k, v.value]));
    expect(p).toMatchObject({
      plain_greeting: 'hello',
      plain_level: 'base',
      plain_marker: 'none',
      special_greeting: 'hi from alt',
      special_level: 'base',
      special_marker: 'alt image',
    });
  });

  it('records the image each step ran in', () => {
    expect(altDigest).not.toBe(digest);
    expect(dockerIdentity(run.runLog.steps.plain!)).toMatchObject({ code_identifier: digest, code_identifier_url: IMAGE });
    expect(dockerIdentity(run.runLog.steps.special!)).toMatchObject({ code_identifier: altDigest, code_identifier_url: ALT });
  });
});

describe('config errors are exit 2 before anything runs', () => {
  it.each([
    ['no image', 'pipeline-executor: {type: local-container, config: {}}\n', /docker_image/],
    ['an unknown key', `pipeline-executor: {type: local-container, config: {docker_image: ${IMAGE}, volumes: []}}\n`, /volumes/],
    ['an unknown override', `pipeline-executor: {type: local-container, config: {docker_image: ${IMAGE}, overrides: {other: {}}}}\n`, /override 'alt'.*defined: other/],
  ])('%s', async (_what, config, message) => {
    const cwd = workdir(config + CHUNKED);
    writeFileSync(join(cwd, 'p.yaml'), 'dag:\n  start_at: a\n  steps:\n    a: {type: task, command_type: shell, command: echo a, overrides: {local-container: alt}, next: success}\n');
    const r = await cli(['execute', 'p.yaml', '-c', 'config.yaml'], cwd);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);
  });

  it('an image the engine neither has nor can pull (runnable\'s examples/configs/local-container.yaml as written): one line naming it and the step, for execute and validate', async () => {
    const cwd = workdir(`pipeline-executor:\n  type: "local-container"\n  config:\n    docker_image: runnable-m1:latest\n    enable_parallel: true\n    environment:\n      should_pass: "true"\n${CHUNKED}`);
    writeFileSync(join(cwd, 'p.yaml'), 'dag:\n  start_at: a\n  steps:\n    a: {type: task, command_type: shell, command: echo a >> ran.txt, next: success}\n');
    for (const args of [['execute', 'p.yaml', '-c', 'config.yaml'], ['validate', 'p.yaml', '-c', 'config.yaml']]) {
      const r = await cli(args, cwd, {}, 300_000);
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^runnable: config\.yaml: field 'pipeline-executor\.config\.docker_image': image 'runnable-m1:latest' \(step 'a'\) is not among podman's images and could not be pulled: \S/);
    }
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);
    expect(existsSync(join(cwd, 'ran.txt'))).toBe(false);
  });
});

describe('a container killed mid-step', () => {
  const RUN_ID = `container-kill-${process.pid}`;
  const PIPELINE = `dag:
  start_at: first
  steps:
    first: {type: task, command_type: shell, command: echo first, next: slow}
    slow:
      type: task
      command_type: shell
      command: |
        if [ ! -e started-once ]; then touch started-once; sleep 300; fi
        export slow_done=yes
      returns: [slow_done]
      next: last
    last: {type: task, command_type: shell, command: echo "last sees $slow_done", next: success}
`;
  let cwd = '';
  let first: { code: number | null; stdout: string; stderr: string };
  let killed: string[] = [];
  beforeAll(async () => {
    cwd = workdir(containerConfig());
    writeFileSync(join(cwd, 'kill.yaml'), PIPELINE);
    const started = startCli(CLI, ['execute', 'kill.yaml', '--json', '-c', 'config.yaml', '--run-id', RUN_ID], cwd);
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      killed = existsSync(join(cwd, 'started-once')) ? await containersOf(RUN_ID, 'slow') : [];
      if (killed.length) break;
      await sleep(250);
    }
    if (!killed.length) throw new Error(`the container of step 'slow' never started\n${(await Promise.race([started.done, sleep(1).then(() => undefined)]))?.stderr ?? ''}`);
    await engine(['kill', ...killed]);
    first = await started.done;
  }, 600_000);

  it('fails that step with the reason and ends the run FAIL', () => {
    expect(first.code, first.stderr.slice(-3000)).toBe(1);
    const log = parseJsonSummary(first.stdout)!.run_log as RunLog;
    expect(log.status).toBe('FAIL');
    expect(log.steps.first!.status).toBe('SUCCESS');
    expect(log.steps.slow!.status).toBe('FAIL');
    expect(log.steps.slow!.message).toMatch(/SIGKILL/);
    expect(log.steps.slow!.attempts.map((a) => a.status)).toEqual(['FAIL']);
    expect(log.steps.last).toBeUndefined();
  });

  it('removes the container', async () => {
    let left = await containersOf(RUN_ID);
    for (let i = 0; i < 40 && left.length; i++) left = await sleep(250).then(() => containersOf(RUN_ID));
    expect(left).toEqual([]);
  });

  it('completes the run with `runnable retry`', async () => {
    const r = await cli(['retry', RUN_ID, '-c', 'config.yaml', '--json'], cwd, {}, 300_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const log = parseJsonSummary(r.stdout)!.run_log as RunLog;
    expect(log.status).toBe('SUCCESS');
    expect(log.steps.first!.attempts).toHaveLength(1);
    expect(log.steps.slow!.attempts.map((a) => a.status)).toEqual(['FAIL', 'SUCCESS']);
    expect(log.steps.last!.status).toBe('SUCCESS');
    expect(log.parameters.slow_done?.value).toBe('yes');
    const lastLog = readFileSync(join(cwd, '.catalog', RUN_ID, '.logs', 'last.attempt-1.log'), 'utf8');
    expect(lastLog).toContain('last sees yes');
    expect(dockerIdentity(log.steps.slow!)?.code_identifier).toBe(digest);
  }, 300_000);
});

describe('local-container job executor', () => {
  const JOB_CONFIG = `job-executor:\n  type: local-container\n  config:\n    docker_image: ${IMAGE}\n${CHUNKED}`;
  const job = async (config: string, file: string) => {
    const cwd = workdir(config);
    const r = await cli(['execute-job', file, '--json', '-c', 'config.yaml'], cwd, {}, 300_000);
    const json = parseJsonSummary(r.stdout);
    if (!json) throw new Error(`no --json summary from execute-job ${file} (exit ${r.code})\n${r.stderr.slice(-3000)}`);
    return { ...r, cwd, runLog: json.run_log as RunLog };
  };
  const shape = (log: RunLog) => ({
    status: log.status,
    parameters: Object.fromEntries(Object.entries(log.parameters).map(([k, p]) => [k, { kind: p.kind, value: p.value }])),
    job: { status: log.job?.status, attempts: log.job?.attempts.map((a) => a.status), catalog: log.job?.data_catalog.map((d) => `${d.stage} ${d.name} ${d.data_hash}`) },
  });

  it.each([
    ['examples/11-jobs/passing_parameters_typescript.yaml', 0],
    ['examples/11-jobs/catalog.yaml', 0],
    ['examples/11-jobs/failing.yaml', 1],
  ])('%s: same outcome as the local job executor, image digest recorded', async (file, code) => {
    const [local, container] = await Promise.all([job(CHUNKED, file), job(JOB_CONFIG, file)]);
    expect(container.code, container.stderr.slice(-3000)).toBe(code);
    expect(shape(container.runLog)).toEqual(shape(local.runLog));
    expect(container.runLog.job!.code_identities.find((c) => c.code_identifier_type === 'docker')).toMatchObject({ code_identifier: digest, code_identifier_url: IMAGE });
  }, 300_000);
  it('an image the engine neither has nor can pull: exit 2 before the run, one line', async () => {
    const cwd = workdir(JOB_CONFIG.replace(IMAGE, 'runnable-ts-no-such-image:0'));
    const r = await cli(['execute-job', 'examples/11-jobs/catalog.yaml', '-c', 'config.yaml'], cwd, {}, 300_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/^runnable: config\.yaml: field 'job-executor\.config\.docker_image': image 'runnable-ts-no-such-image:0' is not among podman's images and could not be pulled: \S/);
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);
  });
});
