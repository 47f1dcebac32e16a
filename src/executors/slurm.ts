/**
 * `slurm`: every step of the run is a Slurm batch job running the step-at-a-time protocol
 * (`runnable execute-single-node` for tasks and stubs, `runnable fan ... in|out` for composites),
 * driven by the shared traversal (traverse.ts through _protocol.ts) in the `runnable execute`
 * process, which follows the jobs with `squeue` and reads each step's outcome from the run log.
 *
 * - Sequential parts are submitted ahead as a chain: when the traversal reaches a task or stub,
 *   it and every task/stub that follows by `next` are submitted at once, each with
 *   `--dependency=afterok:<previous job> --kill-on-invalid-dep=yes`, so Slurm starts each step
 *   as soon as the one before succeeds. A failed step's chain is cancelled (Slurm does it; so do
 *   we) and the traversal goes on to its `on_failure`.
 * - Branches run side by side (all at once, or `max_parallel`). The branches of a map are job
 *   arrays: the leading tasks of its branch are one array each, element i of the next depending
 *   on element i of the one before (`aftercorr`); `max_parallel` throttles the array (`%N`).
 * - Composites open and close with `fan` jobs: what a map iterates on, which branch a
 *   conditional takes and whether a loop goes on are decided at run time, in the cluster. The
 *   fan-in job is submitted once every branch has ended.
 * - Each step records the Slurm job that ran it in its `code_identities`:
 *   `{code_identifier_type: 'slurm', code_identifier: '<job id>'}` (`123`, or `123_4` for an
 *   array element), after the git identity; a composite records its fan jobs.
 * - Ctrl-C (the run's abort signal) cancels every job of the run; a job cancelled or killed
 *   mid-step (scancel, time limit, out of memory) fails its step with Slurm's reason, and
 *   `runnable retry` runs it again.
 *
 * Steps' stdout/stderr go to `<log_folder>/<run_id>/` (default `.slurm_logs/`), and are shown
 * when the step ends. The run log must take concurrent writers (`chunked-fs`) for steps to run
 * side by side or ahead; with `file-system` every step is submitted after the one before ended.
 *
 * @example
 * # runnable-config.yaml
 * pipeline-executor:
 *   type: slurm
 *   config:
 *     partition: cpu
 *     time: "01:00:00"
 *     mem: 4G
 *     sbatch_options: ["--qos=normal"]
 *     overrides:
 *       gpu: {partition: gpu, gres: "gpu:1", cpus_per_task: 8}
 * run-log-store:
 *   type: chunked-fs
 * # and on a task: overrides: {slurm: gpu}
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { isComposite, type CompositeNode, type Graph, type Pipeline, type PipelineNode } from '../graph/model.js';
import { iterVarsToJSON, resolveName, type IterVars } from '../graph/names.js';
import { walkNodes } from '../graph/walk.js';
import { RunnableError } from '../errors.js';
import type { BranchRun, FanInResult } from '../nodes/index.js';
import { parentOfStep } from '../nodes/_common.js';
import type { Plugin } from '../registry.js';
import type { RunLogStore, Status } from '../runlog/types.js';
import type { RunContext } from './context.js';
import { FAN_CLOSE, FAN_OPEN, ProtocolTraversal, pipelineFile, type StepCommand, type StepProcessResult } from './_protocol.js';
import { fileForOtherProcesses } from './_elsewhere.js';
import { recordLostStep } from '../runner/single-node.js';
import { SlurmSession, slurmIdentity, type SlurmResources, type SubmittedJob } from './_slurm_session.js';
import { detachRun } from './_slurm_drive.js';
import type { PipelineExecutor } from './types.js';

const resources = {
  partition: z.string().min(1).optional(),
  account: z.string().min(1).optional(),
  /** time limit, in any format `sbatch --time` takes: `30`, `01:00:00`, `1-00:00:00` */
  time: z.string().min(1).optional(),
  cpus_per_task: z.number().int().min(1).optional(),
  /** memory per node, as `sbatch --mem`: `4G`, `500M` */
  mem: z.string().min(1).optional(),
  gres: z.string().min(1).optional(),
  /** more `sbatch` options, one per item, e.g. `--qos=high`, `--constraint=avx2` */
  sbatch_options: z.array(z.string().regex(/^-/, 'an sbatch option starts with -')).optional(),
};

export const slurmConfig = z.strictObject({
  ...resources,
  /** per-step settings, picked by a step's `overrides: {slurm: NAME}`; merged over the above */
  overrides: z.record(z.string(), z.strictObject(resources)).default({}),
  /** branches of a parallel or map step running at once (default: all) */
  max_parallel: z.number().int().min(1).optional(),
  /** map branches as job arrays (false: one job per branch and step) */
  job_arrays: z.boolean().default(true),
  /** where the jobs' output files go, relative to the working directory */
  log_folder: z.string().min(1).default('.slurm_logs'),
  /** seconds between two `squeue` calls while jobs are followed */
  poll_interval: z.number().positive().default(0.5),
  /**
   * `runnable execute` submits a driver job that runs the pipeline inside the cluster, and
   * returns at once (the run stays PROCESSING until the driver job settles it)
   */
  detach: z.boolean().default(false),
  /** the driver job's time limit (`sbatch --time`); it lives as long as the run */
  driver_time: z.string().min(1).optional(),
});
export type SlurmConfig = z.infer<typeof slurmConfig>;

export class SlurmExecutor implements PipelineExecutor {
  readonly type = 'slurm';
  /** the jobs write the run log: nothing may be cached */
  readonly exclusive = false;
  constructor(private readonly config: SlurmConfig) {}

  /** A step naming an `overrides` entry that the config does not have is an error before the run. */
  pipelineToCheck(pipeline: Pipeline, store: RunLogStore): Pipeline {
    fileForOtherProcesses(store, pipeline.source, 'pipeline', 'slurm', 'in Slurm jobs');
    for (const node of walkNodes(pipeline.graph)) resourcesFor(this.config, node);
    return pipeline;
  }

  /** `--detach`: as `detach: true` in the config */
  detached(): SlurmExecutor {
    return new SlurmExecutor({ ...this.config, detach: true });
  }

  async execute(rc: RunContext): Promise<Status> {
    if (this.config.detach) return detachRun(rc, this.config);
    const shared = rc.log.store.concurrentWriters;
    const session = new SlurmSession(rc.runId, rc.cwd, this.config.log_folder, this.config.poll_interval * 1000, (line) => rc.observer.output?.('slurm', 2, line));
    const cancel = () => void session.cancelAll();
    rc.signal.addEventListener('abort', cancel, { once: true });
    const width = shared ? (this.config.max_parallel ?? Number.POSITIVE_INFINITY) : 1;
    const traversal = new SlurmTraversal(width, session, this.config, shared);
    try {
      return await traversal.runGraph(rc, rc.pipeline.graph, []);
    } finally {
      rc.signal.removeEventListener('abort', cancel);
      await session.cancelAll(); // jobs submitted ahead that the traversal never reached
      if (rc.signal.aborted) await traversal.recordInterrupted(rc);
      session.close();
    }
  }
}

type Leaf = Exclude<PipelineNode, CompositeNode>;

/** A step's job submitted before the traversal reached the step, and where the step is. */
type AheadJob = SubmittedJob & { graph: Graph; frames: IterVars };

/** The shared traversal, each protocol command a Slurm job; sequential parts submitted ahead. */
export class SlurmTraversal extends ProtocolTraversal {
  /** jobs submitted ahead, by step: the traversal's launch of that step waits for them */
  private readonly ahead = new Map<string, AheadJob>();
  /** the job that ran each command last: recorded in the step's code identities */
  private readonly ran = new Map<string, { job: SubmittedJob; state: string; partition: string; nodes: string }>();

  constructor(
    width: number,
    private readonly session: SlurmSession,
    private readonly config: SlurmConfig,
    /** the run log takes concurrent writers: steps may be submitted ahead and side by side */
    private readonly aheadOk: boolean,
  ) {
    super(width);
  }

  async launch(rc: RunContext, cmd: StepCommand): Promise<StepProcessResult> {
    const key = commandKey(cmd);
    let job: SubmittedJob | undefined = this.ahead.get(key);
    this.ahead.delete(key);
    if (job && JSON.stringify(job.cmd.args) !== JSON.stringify(cmd.args)) {
      // submitted ahead with other arguments than the protocol now gives: run what it gives
      await this.session.cancel([job.id]);
      job = undefined;
    }
    job ??= (await this.session.submit([cmd], { resources: resourcesFor(this.config, cmd.node) }))[0]!;
    const result = await this.session.result(job);
    this.ran.set(key, { job, state: result.end.state, partition: result.end.partition, nodes: result.end.nodes });
    forwardOutput(rc, cmd, result);
    return result;
  }

  /**
   * As the protocol traversal runs a leaf, except that the job may have been submitted (and even
   * have run) before the traversal got here: whether the job recorded the step's end is judged
   * against the step's attempts when the job was submitted.
   */
  override async runLeaf(rc: RunContext, node: Leaf, graph: Graph, frames: IterVars): Promise<Status> {
    if (node.type === 'success' || node.type === 'fail') return super.runLeaf(rc, node, graph, frames);
    const internalName = resolveName(node.internalName, frames);
    const key = `step:${internalName}`;
    if (this.aheadOk && !this.ahead.has(key) && !rc.signal.aborted) await this.submitChain(rc, node, graph, [frames]);
    const attemptsBefore = this.ahead.get(key)?.attemptsBefore ?? (await attemptsOf(rc, internalName));
    if (node.type === 'task') rc.observer.stepStarted?.({ internalName, type: node.type, attempt: attemptsBefore + 1 });
    const result = await this.launch(rc, stepCommand(rc, node, frames, internalName));

    // the run log is the truth: a step that recorded its end ended so, whatever the job's state
    let step = await rc.log.step(internalName);
    if (!step || step.status === 'PROCESSING' || step.attempts.length <= attemptsBefore) {
      await recordLostStep(rc, node, graph, frames, attemptsBefore, `${describeLost(result)}${rc.signal.aborted ? ' (interrupted)' : ''}`);
      step = await rc.log.step(internalName);
    }
    await this.recordJob(rc, key, internalName, graph, frames);
    const status: Status = step?.status === 'SUCCESS' ? 'SUCCESS' : 'FAIL';
    const last = step?.attempts.at(-1);
    const ms = last ? Date.parse(last.end_time) - Date.parse(last.start_time) : 0;
    rc.observer.stepFinished?.({ internalName, type: node.type, status, durationMs: Number.isFinite(ms) ? ms : 0, message: step?.message ?? '' });
    if (status !== 'SUCCESS') await this.dropChain(node, graph, [frames]);
    return status;
  }

  override async fanOut(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<BranchRun[]> {
    const internalName = resolveName(node.internalName, frames);
    try {
      return await super.fanOut(rc, node, graph, frames);
    } finally {
      await this.recordJob(rc, `fan-${FAN_OPEN}:${internalName}`, internalName, graph, frames);
    }
  }

  override async fanIn(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<FanInResult> {
    const internalName = resolveName(node.internalName, frames);
    try {
      return await super.fanIn(rc, node, graph, frames);
    } finally {
      await this.recordJob(rc, `fan-${FAN_CLOSE}:${internalName}`, internalName, graph, frames);
    }
  }

  /** A map's branches share a graph: their leading tasks go to Slurm as job arrays, then each branch runs. */
  override async runBranches(rc: RunContext, runs: BranchRun[]): Promise<void> {
    if (this.aheadOk && this.config.job_arrays && !rc.retrying && runs.length > 1 && !rc.signal.aborted) {
      const byGraph = new Map<Graph, BranchRun[]>();
      for (const run of runs) byGraph.set(run.graph, [...(byGraph.get(run.graph) ?? []), run]);
      for (const [graph, group] of byGraph) {
        const start = graph.nodes[graph.startAt]!;
        if (group.length > 1 && (start.type === 'task' || start.type === 'stub')) {
          await this.submitChain(rc, start, graph, group.map((r) => r.frames));
        }
      }
    }
    return super.runBranches(rc, runs);
  }

  /**
   * Submits `start` and the tasks/stubs after it (by `next`) for each of `iterations` (one job
   * each for one iteration, job arrays for several), each depending on the one before.
   */
  private async submitChain(rc: RunContext, start: Leaf, graph: Graph, iterations: IterVars[]): Promise<void> {
    let node: PipelineNode | undefined = start;
    let previous: SubmittedJob[] | undefined;
    while (node && (node.type === 'task' || node.type === 'stub')) {
      const names = iterations.map((frames) => resolveName(node!.internalName, frames));
      if (previous) {
        if (names.some((n) => this.ahead.has(`step:${n}`))) break;
        // on retry a step that succeeded is skipped by the traversal: stop there
        if (rc.retrying && (await anySucceeded(rc, names))) break;
      }
      const cmds = iterations.map((frames, i) => stepCommand(rc, node as Leaf, frames, names[i]!));
      const dependency = previous ? (previous.length > 1 ? `aftercorr:${previous[0]!.id.split('_')[0]}` : `afterok:${previous[0]!.id}`) : undefined;
      const throttle = Number.isFinite(this.maxParallel) ? this.maxParallel : undefined;
      const before = await Promise.all(names.map((n) => attemptsOf(rc, n)));
      const jobs = await this.session.submit(cmds, { resources: resourcesFor(this.config, node), dependency, throttle });
      jobs.forEach((job, i) => (job.attemptsBefore = before[i]));
      jobs.forEach((job, i) => this.ahead.set(`step:${names[i]}`, Object.assign(job, { graph, frames: iterations[i]! })));
      previous = jobs;
      node = node.next ? graph.nodes[node.next] : undefined;
    }
  }

  /**
   * After Ctrl-C, once the run's jobs are cancelled: a job submitted ahead may have started before
   * the traversal reached its step (the traversal then stops without reaching it). A job that
   * started (Slurm opened its output file) or whose step began is recorded as an interrupted
   * failure, so that the run log shows what was running and `retry` runs it again.
   */
  async recordInterrupted(rc: RunContext): Promise<void> {
    const jobs = [...this.ahead.values()];
    this.ahead.clear();
    for (const job of jobs) {
      await job.ended; // cancelled: it writes nothing more
      const began = existsSync(`${job.base}.out`) || (await rc.log.step(job.cmd.internalName))?.status === 'PROCESSING';
      if (!began) continue;
      const result = await this.session.result(job);
      await recordLostStep(rc, job.cmd.node, job.graph, job.frames, job.attemptsBefore ?? 0, `${describeLost(result)} (interrupted)`);
    }
  }

  /** After a failed step: the steps submitted after it will not run (Slurm cancels them too). */
  private async dropChain(failed: Leaf, graph: Graph, iterations: IterVars[]): Promise<void> {
    const ids: string[] = [];
    let node: PipelineNode | undefined = failed.next ? graph.nodes[failed.next] : undefined;
    const seen = new Set<PipelineNode>();
    while (node && !isComposite(node) && !seen.has(node)) {
      seen.add(node);
      for (const frames of iterations) {
        const key = `step:${resolveName(node.internalName, frames)}`;
        const job = this.ahead.get(key);
        if (job) ids.push(job.id);
        this.ahead.delete(key);
      }
      node = 'next' in node && node.next ? graph.nodes[node.next] : undefined;
    }
    await this.session.cancel(ids);
  }

  /** Adds the Slurm job that ran a step (or fanned a composite) to the step's code identities. */
  private async recordJob(rc: RunContext, key: string, internalName: string, graph: Graph, frames: IterVars): Promise<void> {
    const ran = this.ran.get(key);
    this.ran.delete(key);
    if (!ran) return;
    const step = await rc.log.step(internalName);
    if (!step) return;
    const what = key.startsWith('fan-') ? `${key.slice(0, key.indexOf(':'))} job` : 'job';
    const identity = slurmIdentity(ran.job.id, ran, what);
    const others = step.code_identities.filter((c) => !(c.code_identifier_type === 'slurm' && c.code_identifier === ran.job.id));
    await rc.log.putStep(parentOfStep(graph, frames), { ...step, code_identities: [...others, identity] });
  }
}

/**
 * The `execute-single-node` command of a step, as the protocol traversal builds it (launch
 * compares the two and resubmits if they ever differ).
 */
function stepCommand(rc: RunContext, node: Leaf, frames: IterVars, internalName: string): StepCommand {
  const args = ['execute-single-node', rc.runId, pipelineFile(rc), node.internalName];
  if (frames.length) args.push('--map-variable', iterVarsToJSON(frames));
  if (rc.configFile) args.push('-c', rc.configFile);
  args.push('--quiet');
  return { kind: 'execute-single-node', args, node, internalName };
}

function commandKey(cmd: StepCommand): string {
  return cmd.kind === 'fan' ? `fan-${cmd.args[4]}:${cmd.internalName}` : `step:${cmd.internalName}`;
}

async function attemptsOf(rc: RunContext, internalName: string): Promise<number> {
  return (await rc.log.step(internalName))?.attempts.length ?? 0;
}

/** Why a step's job ended without recording the step's end. */
function describeLost(r: StepProcessResult): string {
  const how = r.signal ? r.signal : `the step's job exited with code ${r.exitCode}${r.exitCode === 2 ? ' (bad input)' : ''} without recording the step's end`;
  const tail = r.stderrTail.trim();
  return `${how}${tail ? `\n--- stderr (last lines) ---\n${tail}` : ''}`;
}

async function anySucceeded(rc: RunContext, names: string[]): Promise<boolean> {
  for (const name of names) if ((await rc.log.step(name))?.status === 'SUCCESS') return true;
  return false;
}

/** The job's resources: the config's, with the step's `overrides: {slurm: NAME}` entry over them. */
export function resourcesFor(config: SlurmConfig, node: PipelineNode): SlurmResources {
  const { overrides: _o, max_parallel: _m, job_arrays: _j, log_folder: _l, poll_interval: _p, detach: _d, driver_time: _t, ...base } = config;
  const name = node.overrides?.slurm;
  if (!name) return base;
  const entry = config.overrides[name];
  if (!entry) {
    const known = Object.keys(config.overrides);
    throw new RunnableError('E_CONFIG', `step '${node.internalName}' asks for slurm override '${name}', which the config does not define${known.length ? ` (defined: ${known.join(', ')})` : ''}`, {
      field: 'pipeline-executor.config.overrides',
      step: node.internalName,
    });
  }
  return { ...base, ...entry, sbatch_options: [...(base.sbatch_options ?? []), ...(entry.sbatch_options ?? [])] };
}

/** What a job printed, shown once it ended; a fan's JSON line is kept for the protocol. */
function forwardOutput(rc: RunContext, cmd: StepCommand, result: StepProcessResult & { stderr: string }): void {
  let stdout = result.stdout;
  if (cmd.kind === 'fan') {
    const cut = stdout.trimEnd().lastIndexOf('\n');
    stdout = cut > 0 ? stdout.slice(0, cut + 1) : '';
  }
  if (stdout) rc.observer.output?.(cmd.internalName, 1, stdout);
  if (result.stderr) rc.observer.output?.(cmd.internalName, 2, result.stderr);
}

export const slurm: Plugin<PipelineExecutor, SlurmConfig> = {
  config: slurmConfig,
  create: (config) => new SlurmExecutor(config),
};
