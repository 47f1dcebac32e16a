/**
 * The job-executor family's contract, run against every member of the registry
 * (`jobExecutors.types()`), in real runs of the built CLI: a new job executor is tested by this
 * suite the day it is registered (and the suite fails until it says how to configure it, below).
 * Every member: a passing job ends SUCCESS in one attempt with its returns as the run's
 * parameters and its catalog `put` recorded, a failing job ends FAIL (exit 1) with the task's
 * message and no returns, and the job's code identities start with the git identity, followed by
 * where the task ran (an image, a Slurm job) for the members that run it elsewhere.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobExecutors } from '../../src/executors/jobs/index.js';
import type { RunLog } from '../../src/runlog/types.js';
import { EXAMPLE_ENV, parseJsonSummary } from '../examples/_run.js';
import { cleanEnv, cleanup, cli, makeWorkdir } from '../executors/_emulate.js';
import { ApiServerStandIn } from '../k8s/_apiserver.js';
import { REPO } from '../examples/_run.js';
import { IMAGE, ensureImage } from '../executors/_container.js';
import { ensureCluster } from '../executors/_slurm.js';

afterAll(cleanup);

interface MemberSettings {
  /** the `config:` of the `job-executor` section, as YAML flow text (for the run's folder) */
  config: string | ((cwd: string) => string);
  /** the `code_identifier_type`s after `git`: where the task ran */
  ranAt: string[];
  /** what the member needs on this machine, made ready (or failing) before its cases */
  ready?: () => void | Promise<void>;
}

const MEMBERS: Record<string, MemberSettings> = {
  local: { config: '{}', ranAt: [] },
  emulate: { config: '{}', ranAt: [] },
  emulator: { config: '{}', ranAt: [] },
  'local-container': { config: `{docker_image: '${IMAGE}'}`, ranAt: ['docker'], ready: ensureImage },
  slurm: { config: '{poll_interval: 0.25}', ranAt: ['slurm'], ready: ensureCluster },
  // Kubernetes: a loopback STAND-IN of the API server (test/k8s/_apiserver.ts) that runs each
  // Job's container command as a local process; there is no cluster here
  'k8s-job': { config: (cwd) => k8sConfig(cwd, 'pvc: runnable'), ranAt: ['docker'], ready: startApiServer },
  'mini-k8s-job': { config: (cwd) => k8sConfig(cwd, ''), ranAt: ['docker'], ready: startApiServer },
};

let api: ApiServerStandIn | undefined;
async function startApiServer(): Promise<void> {
  if (api) return;
  const env = cleanEnv();
  delete env.KUBECONFIG;
  delete env.KUBERNETES_SERVICE_HOST;
  api = await new ApiServerStandIn(env).start();
}
afterAll(() => api?.close());

/** The project's folder "in the image" is the run's folder and runnable-ts is this repository. */
function k8sConfig(cwd: string, volumes: string): string {
  api!.writeKubeconfig(join(cwd, 'kubeconfig.yaml'));
  return `{image: registry.example.com/team/project:1.0, namespace: runs, working_dir: '${cwd}', runnable_ts: '${REPO}', kubeconfig: kubeconfig.yaml, poll_interval: 0.2${volumes ? `, ${volumes}` : ''}}`;
}

interface JobRun {
  code: number | null;
  stderr: string;
  log: RunLog;
}

async function executeJob(type: string, job: string): Promise<JobRun> {
  const cwd = makeWorkdir();
  const { config } = MEMBERS[type]!;
  writeFileSync(join(cwd, 'job-config.yaml'), `job-executor: {type: ${type}, config: ${typeof config === 'string' ? config : config(cwd)}}\nrun-log-store: {type: chunked-fs}\n`);
  const r = await cli(['execute-job', job, '--json', '-c', 'job-config.yaml'], cwd, {}, 600_000);
  const summary = parseJsonSummary(r.stdout);
  if (!summary) throw new Error(`no --json summary from execute-job ${job} under ${type} (exit ${r.code})\n${r.stderr.slice(-3000)}`);
  return { code: r.code, stderr: r.stderr, log: summary.run_log as RunLog };
}

it('every registered job executor has its settings here', () => {
  expect(jobExecutors.types().filter((t) => !MEMBERS[t])).toEqual([]);
});

describe.each(jobExecutors.types().filter((t) => MEMBERS[t]))('job executor %s', (type) => {
  const member = MEMBERS[type]!;
  beforeAll(() => member.ready?.(), 600_000);

  it('a passing job: SUCCESS in one attempt, returns as run parameters, catalog put recorded, git identity first', async () => {
    const [params, catalog] = await Promise.all([executeJob(type, 'examples/11-jobs/passing_parameters_typescript.yaml'), executeJob(type, 'examples/11-jobs/catalog.yaml')]);
    for (const run of [params, catalog]) {
      expect(run.code, run.stderr.slice(-2000)).toBe(0);
      expect(run.log.status).toBe('SUCCESS');
      expect(run.log.job!.status).toBe('SUCCESS');
      expect(run.log.job!.attempts.map((a) => a.status)).toEqual(['SUCCESS']);
      expect(run.log.job!.code_identities.map((c) => c.code_identifier_type)).toEqual(['git', ...member.ranAt]);
      expect((run.log.run_config['job-executor'] as { type: string }).type).toBe(type);
    }
    const values = Object.fromEntries(Object.entries(params.log.parameters).map(([k, p]) => [k, p.kind === 'json' ? p.value : p.kind]));
    expect(values).toMatchObject({ integer: 1, floater: 3.14, stringer: 'hello', df: 'object', score: 'metric' });
    const put = catalog.log.job!.data_catalog.filter((d) => d.stage === 'put');
    expect(put.map((d) => d.name).sort()).toEqual(expect.arrayContaining(['data_folder/data.txt', 'df.csv']));
    for (const d of put) expect(d.data_hash).toMatch(/^[0-9a-f]{64}$/);
  }, 900_000);

  it("a failing job: exit 1, FAIL with the task's message, nothing returned", async () => {
    const run = await executeJob(type, 'examples/11-jobs/failing.yaml');
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    expect(run.log.status).toBe('FAIL');
    expect(run.log.job!.status).toBe('FAIL');
    expect(run.log.job!.message).toMatch(/\S/);
    expect(run.log.job!.attempts.at(-1)!.status).toBe('FAIL');
    // the run's parameters are only those of the environment (RUNNABLE_PRM_*): the task returned none
    expect(run.log.job!.attempts.at(-1)!.output_parameters).toEqual({});
    expect(Object.keys(run.log.parameters).every((k) => `RUNNABLE_PRM_${k}` in EXAMPLE_ENV)).toBe(true);
  }, 900_000);
});

