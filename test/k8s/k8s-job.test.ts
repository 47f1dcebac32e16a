/**
 * The `k8s-job` job executor through the built CLI, against a STAND-IN of the Kubernetes API
 * server (test/k8s/_apiserver.ts, test code on loopback: there is no cluster on these
 * machines). The stand-in validates every posted Job/CronJob with kubernetes-models and "runs"
 * a Job by executing its container's command as a real local process in the project folder, so
 * the run log records the task's real end, written by the pod's process (the job-task entry
 * the other remote job executors use). A kubeconfig file points the CLI at it.
 *
 * Decided and tested here: an unreachable API server is a recorded failure (exit 1, run FAIL,
 * one line saying which server and why), since the run has begun; `execute-job` can run it
 * again. Bad config keys and bad credentials are exit 2 before the run exists.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { RunLog } from '../../src/runlog/types.js';
import { parseJsonSummary, REPO } from '../examples/_run.js';
import { CLI, cleanEnv, cleanup, cli, makeWorkdir } from '../executors/_emulate.js';
import { ApiServerStandIn } from './_apiserver.js';

afterAll(cleanup);

/** the environment of runnable and of the stand-in's pods: no outer Kubernetes credentials */
const env = () => {
  const e = cleanEnv();
  delete e.KUBECONFIG;
  delete e.KUBERNETES_SERVICE_HOST;
  return e;
};

let api: ApiServerStandIn;
beforeEach(async () => {
  api = await new ApiServerStandIn(env()).start();
});
afterEach(async () => {
  await api.close();
});

/** A project folder with a job, a kubeconfig for the stand-in and a k8s-job config ("image" is what the stand-in ignores). */
function project(jobYaml: string, extra = ''): string {
  const cwd = makeWorkdir();
  writeFileSync(join(cwd, 'job.yaml'), jobYaml);
  api.writeKubeconfig(join(cwd, 'kubeconfig.yaml'));
  writeFileSync(
    join(cwd, 'config.yaml'),
    [
      'job-executor:',
      '  type: k8s-job',
      '  config:',
      '    image: registry.example.com/team/project:1.0',
      '    namespace: runs',
      // the project's folder "in the image" is this folder, and runnable-ts is this repository
      `    working_dir: ${cwd}`,
      `    runnable_ts: ${REPO}`,
      '    pvc: runnable',
      '    kubeconfig: kubeconfig.yaml',
      '    poll_interval: 0.2',
      extra,
      'run-log-store: {type: chunked-fs}',
      '',
    ].join('\n'),
  );
  return cwd;
}

const shell = (command: string) => `job:\n  type: task\n  command_type: shell\n  command: ${JSON.stringify(command)}\n`;

async function executeJob(cwd: string, args: string[] = []) {
  const r = await cli(['execute-job', 'job.yaml', '-c', 'config.yaml', ...args], cwd, {}, 180_000);
  const summary = parseJsonSummary(r.stdout);
  return { ...r, log: summary?.run_log as RunLog | undefined };
}

describe('a Job submitted and followed to its end', () => {
  it('success: the pod log is streamed, the run log records SUCCESS, the Job is what Kubernetes accepts', async () => {
    const cwd = project(shell('echo "Hello from the pod"; echo to-stderr >&2'));
    const r = await executeJob(cwd, ['--json', '--run-id', 'k8s-ok']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.log!.status).toBe('SUCCESS');
    expect(r.log!.job!.status).toBe('SUCCESS');
    expect(r.log!.job!.attempts.map((a) => a.status)).toEqual(['SUCCESS']);
    // the task's output came through the pod log
    expect(r.stderr + r.stdout).toContain('Hello from the pod');
    expect(r.stderr + r.stdout).toContain('to-stderr');
    // git (what the pod ran) and the image the pod ran, with the digest the kubelet reported
    const ids = r.log!.job!.code_identities;
    expect(ids.map((c) => c.code_identifier_type)).toEqual(['git', 'docker']);
    expect(ids[1]).toMatchObject({ code_identifier: `sha256:${'ab'.repeat(32)}`, code_identifier_url: 'registry.example.com/team/project:1.0', code_identifier_dependable: true });

    const job = api.created.get('k8s-ok');
    new Job(job).validate();
    const c = job.spec.template.spec.containers[0];
    expect(c.command).toEqual(['node', `${REPO.replace(/\/$/, '')}/dist/bundle/container-job.mjs`, 'k8s-ok', 'job.yaml', 'config.yaml']);
    expect(c.workingDir).toBe(cwd);
    expect(c.volumeMounts).toEqual([
      { name: 'runnable-stores', mountPath: join(cwd, '.run_log_store'), subPath: 'run-log-store' },
      { name: 'runnable-stores', mountPath: join(cwd, '.catalog'), subPath: 'catalog' },
    ]);
    expect(job.spec.template.spec.volumes).toEqual([{ name: 'runnable-stores', persistentVolumeClaim: { claimName: 'runnable' } }]);
    expect(job.metadata).toMatchObject({ name: 'k8s-ok', namespace: 'runs', labels: { 'runnable.run-id': 'k8s-ok' } });
    expect(job.spec.backoffLimit).toBe(0);
    // what the client asked: create, follow (job + pods), the log with follow=true; nothing else
    expect(api.unexpected).toEqual([]);
    expect(api.requests.some((q) => q.path.endsWith('/log') && q.query.follow === 'true' && q.query.container === 'job')).toBe(true);
    expect(api.requests.some((q) => q.method === 'GET' && q.query.labelSelector === 'job-name=k8s-ok')).toBe(true);
    expect(api.deletes).toEqual([]);
  }, 180_000);

  it('a failing task: run FAIL, exit 1, the Job failed', async () => {
    const cwd = project(shell('echo failing; exit 3'));
    const r = await executeJob(cwd, ['--json']);
    expect(r.code).toBe(1);
    expect(r.log!.status).toBe('FAIL');
    expect(r.log!.job!.attempts.map((a) => a.status)).toEqual(['FAIL']);
    expect(r.stderr + r.stdout).toContain('failing');
    expect(api.jobDone('runs', r.log!.run_id)).toBe(true);
  }, 180_000);

  it('retry: a failed job runs again as a new Job, its attempts numbered on', async () => {
    const cwd = project(shell('test -f ready && echo ready now'));
    const first = await executeJob(cwd, ['--json', '--run-id', 'k8s-retry']);
    expect(first.code).toBe(1);
    writeFileSync(join(cwd, 'ready'), '');
    const r = await cli(['retry', 'k8s-retry', '-c', 'config.yaml', '--json'], cwd, {}, 180_000);
    expect(r.code, r.stderr).toBe(0);
    const log = parseJsonSummary(r.stdout)!.run_log as RunLog;
    expect(log.status).toBe('SUCCESS');
    expect(log.job!.attempts.map((a) => [a.attempt_number, a.status])).toEqual([[1, 'FAIL'], [2, 'SUCCESS']]);
    expect([...api.created.keys()]).toEqual(['k8s-retry', 'k8s-retry-retry-2']);
    expect(r.stderr + r.stdout).toContain('ready now');
  }, 180_000);

  it('a pod that dies without recording its end is settled FAIL, saying how the pod ended', async () => {
    // $PPID of the shell task is the pod's process (the job-task entry)
    const cwd = project(shell('echo about to die >&2; sleep 1; kill -9 $PPID; sleep 5'));
    const r = await executeJob(cwd, ['--json']);
    expect(r.code).toBe(1);
    const job = r.log!.job!;
    expect(job.status).toBe('FAIL');
    expect(job.attempts.map((a) => a.status)).toEqual(['FAIL']);
    expect(job.message).toMatch(/the job's pod \S+ exited with code 137 \(signal 9\); the Job failed: BackoffLimitExceeded/);
    expect(job.message).toContain('about to die');
  }, 180_000);

  it('SIGTERM to runnable while the Job runs: the Job is deleted (Background), the run is FAIL', async () => {
    const cwd = project(shell('echo waiting; sleep 60; touch finished'));
    const child = spawn(process.execPath, [CLI, 'execute-job', 'job.yaml', '-c', 'config.yaml', '--json'], { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('waiting') && !child.killed) child.kill('SIGTERM');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.includes('waiting') && !child.killed) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err).toBe(1);
    expect(api.deletes).toHaveLength(1);
    expect(api.deletes[0]!.body).toMatchObject({ kind: 'DeleteOptions', propagationPolicy: 'Background' });
    const log = parseJsonSummary(out)!.run_log as RunLog;
    expect(log.status).toBe('FAIL');
    expect(log.job!.status).toBe('FAIL');
    expect(log.job!.attempts.map((a) => a.status)).toEqual(['FAIL']);
    // the pod's process stopped on SIGTERM and recorded why
    expect(log.job!.message).toMatch(/SIGTERM|interrupted/);
    expect(existsSync(join(cwd, 'finished'))).toBe(false);
  }, 180_000);
});

describe('a pod that never starts', () => {
  it('its waiting reason is shown; Ctrl-C deletes the Job and the run is FAIL', async () => {
    const cwd = project(shell('touch ran'));
    writeFileSync(join(cwd, 'config.yaml'), readFileSync(join(cwd, 'config.yaml'), 'utf8').replace('project:1.0', 'does-not-exist:1.0'));
    const child = spawn(process.execPath, [CLI, 'execute-job', 'job.yaml', '-c', 'config.yaml', '--json'], { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.includes('is waiting: ImagePullBackOff') && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err).toBe(1);
    expect(err).toMatch(/k8s-job: pod \S+ is waiting: ImagePullBackOff \(Back-off pulling image "registry.example.com\/team\/does-not-exist:1.0"\)/);
    expect(api.deletes).toHaveLength(1);
    const log = parseJsonSummary(out)!.run_log as RunLog;
    expect(log.status).toBe('FAIL');
    expect(log.job!.message).toMatch(/^the Job runs\/\S+ was deleted \(interrupted\)/);
    expect(existsSync(join(cwd, 'ran'))).toBe(false);
  }, 180_000);
});

describe('schedule: a CronJob', () => {
  it('is created and not followed; each scheduled run starts a run of its own', async () => {
    const cwd = project(shell('echo scheduled run'), '    schedule: "0 2 * * *"');
    const r = await executeJob(cwd, ['--run-id', 'nightly']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('created CronJob runs/nightly');
    const cron = api.cronJobs.get('runs/nightly');
    new CronJob(cron).validate();
    expect(cron.spec.schedule).toBe('0 2 * * *');
    expect(cron.spec.jobTemplate.spec.template.spec.containers[0].command.slice(2)).toEqual(['--new-run', 'job.yaml', 'config.yaml']);
    expect(api.created.size).toBe(0);
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);

    // the CronJob controller's turn: its Job's pod starts and runs a new run, in the pod
    const name = api.trigger('runs', 'nightly');
    await until(() => api.jobDone('runs', name));
    const runs = readdirSync(join(cwd, '.run_log_store')).filter((f) => !f.startsWith('.'));
    expect(runs).toHaveLength(1);
    const show = await cli(['runs', 'show', runs[0]!, '-c', 'config.yaml', '--json'], cwd);
    const log = JSON.parse(show.stdout) as RunLog;
    expect(log.status).toBe('SUCCESS');
    expect(log.job!.status).toBe('SUCCESS');
  }, 180_000);
});

describe('--dry-run and runnable`s configs as written', () => {
  it('--dry-run prints the manifest (YAML) and runs nothing', async () => {
    const cwd = project(shell('touch ran'));
    const r = await executeJob(cwd, ['--dry-run', '--run-id', 'dry']);
    expect(r.code, r.stderr).toBe(0);
    const manifest = parse(r.stdout);
    new Job(manifest).validate();
    expect(manifest.metadata.name).toBe('dry');
    expect(api.requests).toEqual([]);
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);
    expect(existsSync(join(cwd, 'ran'))).toBe(false);
  }, 60_000);

  it('the example config (examples/11-jobs/k8s-job.yaml) with an example job', async () => {
    const cwd = makeWorkdir();
    const r = await cli(['execute-job', 'examples/11-jobs/scripts.yaml', '-c', 'examples/11-jobs/k8s-job.yaml', '--dry-run', '--run-id', 'example'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const m = parse(r.stdout);
    new Job(m).validate();
    const c = m.spec.template.spec.containers[0];
    expect(c.command).toEqual(['node', 'node_modules/runnable-ts/dist/bundle/container-job.mjs', 'example', 'examples/11-jobs/scripts.yaml', 'examples/11-jobs/k8s-job.yaml']);
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '2Gi' } });
    expect(c.env).toEqual([{ name: 'LOG_LEVEL', value: 'info' }]);
  }, 60_000);

  // Provenance: the three job-executor configs of AstraZeneca/runnable's examples/11-jobs/
  // (k8s-job.yaml, k8s-scheduled-job.yaml, mini-k8s-job.yaml), their settings as written, comments left out.
  const RUNNABLE_K8S = `job-executor:
  type: "k8s-job"
  config:
    pvc_claim_name: runnable
    config_path:
    mock: false
    namespace: enterprise-mlops
    jobSpec:
      activeDeadlineSeconds: 32000
      template:
        spec:
          activeDeadlineSeconds: 86400
          container:
            image: harbor.csis.astrazeneca.net/mlops/runnable:latest
`;
  const RUNNABLE_SCHEDULED = `job-executor:
  type: "k8s-job"
  config:
    pvc_claim_name: runnable
    config_path:
    mock: false
    namespace: enterprise-mlops
    schedule: "* * * * *"  # Run daily at 2 AM UTC
    jobSpec:
      activeDeadlineSeconds: 32000
      template:
        spec:
          activeDeadlineSeconds: 86400
          container:
            image: harbor.csis.astrazeneca.net/mlops/runnable:latest
            resources:
              limits:
                cpu: "1"
                memory: "2Gi"
              requests:
                cpu: "500m"
                memory: "1Gi"
`;
  const RUNNABLE_MINI = `job-executor:
  type: "mini-k8s-job"
  config:
    mock: true
    jobSpec:
      template:
        spec:
          container:
            image: runnable-m1
`;

  it.each([
    ['k8s-job.yaml', RUNNABLE_K8S, ['--dry-run']],
    ['k8s-scheduled-job.yaml', RUNNABLE_SCHEDULED, ['--dry-run']],
    // mock: true is a dry run without the flag
    ['mini-k8s-job.yaml', RUNNABLE_MINI, []],
  ])('runnable`s %s', async (_name, config, args) => {
    const cwd = makeWorkdir();
    writeFileSync(join(cwd, 'job.yaml'), shell('echo hi'));
    writeFileSync(join(cwd, 'config.yaml'), config);
    const r = await cli(['execute-job', 'job.yaml', '-c', 'config.yaml', '--run-id', 'as-written', ...args], cwd);
    expect(r.code, r.stderr).toBe(0);
    const m = parse(r.stdout);
    const spec = m.kind === 'CronJob' ? m.spec.jobTemplate.spec : m.spec;
    (m.kind === 'CronJob' ? new CronJob(m) : new Job(m)).validate();
    const pod = spec.template.spec;
    const c = pod.containers[0];
    if (_name === 'mini-k8s-job.yaml') {
      expect(c.image).toBe('runnable-m1');
      expect(pod.volumes).toEqual([
        { name: 'run-log-store', hostPath: { path: '/volume/run_logs/', type: 'DirectoryOrCreate' } },
        { name: 'catalog', hostPath: { path: '/volume/catalog/', type: 'DirectoryOrCreate' } },
      ]);
      return;
    }
    expect(m.metadata.namespace).toBe('enterprise-mlops');
    expect(spec.activeDeadlineSeconds).toBe(32000);
    expect(pod.activeDeadlineSeconds).toBe(86400);
    expect(c.image).toBe('harbor.csis.astrazeneca.net/mlops/runnable:latest');
    expect(pod.volumes).toEqual([{ name: 'runnable-stores', persistentVolumeClaim: { claimName: 'runnable' } }]);
    expect(c.volumeMounts.map((v: { mountPath: string }) => v.mountPath)).toEqual(['/app/.run_log_store', '/app/.catalog']);
    if (m.kind === 'CronJob') {
      expect(m.spec.schedule).toBe('* * * * *');
      expect(c.resources).toEqual({ limits: { cpu: '1', memory: '2Gi' }, requests: { cpu: '500m', memory: '1Gi' } });
    }
  }, 60_000);
});

describe('bad input', () => {
  it('the library`s executeJob refuses a scheduled job (a CronJob starts no run), nothing written', async () => {
    const { executeJob: run } = await import('../../src/runner/job.js');
    const cwd = project(shell('touch ran'), '    schedule: "0 2 * * *"');
    const err = await run({ job: 'job.yaml', cwd, env: env(), configFile: 'config.yaml' }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/the k8s-job job executor schedules the job \(a CronJob\) and starts no run: use `runnable execute-job`/);
    expect(api.requests).toEqual([]);
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);
  }, 60_000);

  it.each([
    ['an unknown key, named as written', '    jobSpec: {template: {spec: {container: {image: x, bogus: 1}}}}', "field 'job-executor.config.jobSpec.template.spec.container': unknown field(s) 'bogus'"],
    ['an unknown flat key', '    imagePullPolcy: Always', "unknown field(s) 'imagePullPolcy'"],
    ['a bad value', '    imagePullPolicy: Sometimes', "field 'job-executor.config.imagePullPolicy'"],
    ['a setting given twice', '    jobSpec: {template: {spec: {container: {image: other}}}}', "'image' is also set in jobSpec.template.spec.container.image"],
    ['a bad schedule', '    schedule: "every night"', 'a cron schedule has 5 fields'],
    ['a toleration Kubernetes refuses', '    tolerations: [{key: k, tolerationSeconds: soon}]', 'does not pass the Kubernetes schema: spec.template.spec.tolerations.0.tolerationSeconds'],
  ])('%s: exit 2 naming it, nothing submitted or written', async (_what, extra, message) => {
    const cwd = project(shell('touch ran'), extra);
    const r = await executeJob(cwd);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(api.requests).toEqual([]);
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);
  }, 60_000);

  it('a store the pod could not see (no PVC, no volume): exit 2', async () => {
    const cwd = project(shell('touch ran'));
    writeFileSync(join(cwd, 'config.yaml'), readFileSync(join(cwd, 'config.yaml'), 'utf8').replace('    pvc: runnable\n', ''));
    const r = await executeJob(cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("field 'job-executor.config.pvc': the k8s-job executor runs the task in a Kubernetes pod, which must see the run-log-store 'chunked-fs'");
  }, 60_000);

  it('a missing kubeconfig: exit 2 before the run', async () => {
    const cwd = project(shell('touch ran'));
    writeFileSync(join(cwd, 'config.yaml'), readFileSync(join(cwd, 'config.yaml'), 'utf8').replace('kubeconfig.yaml', 'missing.yaml'));
    const r = await executeJob(cwd);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/field 'job-executor.config.kubeconfig': cannot load the Kubernetes credentials: ENOENT.*missing.yaml/);
    expect(existsSync(join(cwd, '.run_log_store'))).toBe(false);
  }, 60_000);

  it('an unreachable API server: a recorded failure, exit 1, one line naming the server', async () => {
    const port = await freePort();
    const cwd = project(shell('touch ran'));
    api.writeKubeconfig(join(cwd, 'kubeconfig.yaml'), `http://127.0.0.1:${port}`);
    const r = await executeJob(cwd, ['--json']);
    expect(r.code).toBe(1);
    expect(r.log!.status).toBe('FAIL');
    expect(r.log!.job!.message).toBe(`could not create the Job on the Kubernetes API server at http://127.0.0.1:${port}: ECONNREFUSED`);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(cwd, 'ran'))).toBe(false);
  }, 60_000);
});

async function until(ok: () => boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A loopback port nothing listens on. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
