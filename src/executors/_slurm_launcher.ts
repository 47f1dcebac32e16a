/**
 * Commands as Slurm batch jobs (the `slurm` pipeline and job executors). Each `launch` submits
 * the command (or takes the job submitted ahead for it), follows it and reads back what it
 * printed and how it ended; the job that ran each command is recorded in its step's code
 * identities (`ranAt`).
 *
 * Ahead of the traversal (`ahead`, when the run log takes concurrent writers): when it reaches a
 * task or stub, that step and every task/stub after it by `next` are submitted at once, each with
 * `--dependency=afterok:<previous job>`, so Slurm starts each step as soon as the one before
 * succeeds; the leading tasks of a map's branches are job arrays (element i after element i,
 * `aftercorr`, `%N` throttle). A failed step's chain is cancelled.
 */
import { declaredSecrets } from '../secrets/scope.js';
import { existsSync } from 'node:fs';
import { isComposite, type CompositeNode, type Graph, type PipelineNode } from '../graph/model.js';
import { resolveName, type IterVars } from '../graph/names.js';
import type { BranchRun } from '../nodes/index.js';
import type { Status } from '../runlog/types.js';
import type { RunContext } from '../engine/context.js';
import { lostMessage, type AheadPlanner, type Launcher, type RanAt, type StepCommand, type StepProcessResult } from '../engine/launcher.js';
import { beforeJsonLine, fanDirection, stepCommand } from '../engine/protocol.js';
import { recordLostStep } from '../engine/lost-step.js';
import { slurmIdentity, type SlurmResources, type SlurmSession, type SubmittedJob } from './_slurm_session.js';

type Leaf = Exclude<PipelineNode, CompositeNode>;

/** A step's job submitted before the traversal reached the step, and where the step is. */
type AheadJob = SubmittedJob & { graph: Graph; frames: IterVars };

export interface SlurmLaunchOptions {
  /** the resources of the job that runs a step */
  resourcesOf: (node: PipelineNode) => SlurmResources;
  /** the run log takes concurrent writers: steps may be submitted ahead and side by side */
  aheadOk?: boolean;
  /** map branches as job arrays */
  jobArrays?: boolean;
  /** at most this many array elements at once */
  throttle?: number;
}

export class SlurmLauncher implements Launcher, AheadPlanner {
  /** jobs submitted ahead, by step: the traversal's launch of that step waits for them */
  private readonly submitted = new Map<string, AheadJob>();
  /** the job that ran each command last: recorded in the step's code identities */
  private readonly ran = new Map<string, { job: SubmittedJob; state: string; partition: string; nodes: string }>();
  readonly ahead: AheadPlanner | undefined;

  constructor(
    private readonly session: SlurmSession,
    private readonly opts: SlurmLaunchOptions,
  ) {
    this.ahead = opts.aheadOk ? this : undefined;
  }

  async launch(rc: RunContext, cmd: StepCommand): Promise<StepProcessResult> {
    const key = commandKey(cmd);
    let job: SubmittedJob | undefined = this.submitted.get(key);
    this.submitted.delete(key);
    if (job && JSON.stringify(job.cmd.args) !== JSON.stringify(cmd.args)) {
      // submitted ahead with other arguments than the protocol now gives: run what it gives
      await this.session.cancel([job.id]);
      job = undefined;
    }
    job ??= (await this.session.submit([cmd], { resources: this.opts.resourcesOf(cmd.node), secrets: await declaredSecrets(rc.secrets, cmd.node) }))[0]!;
    const result = await this.session.result(job);
    this.ran.set(key, { job, state: result.end.state, partition: result.end.partition, nodes: result.end.nodes });
    // what a job printed, shown once it ended; a fan's JSON line is kept for the protocol
    const stdout = cmd.kind === 'fan' ? beforeJsonLine(result.stdout) : result.stdout;
    if (stdout) rc.observer.output?.(cmd.internalName, 1, stdout);
    if (result.stderr) rc.observer.output?.(cmd.internalName, 2, result.stderr);
    return result;
  }

  async ranAt(_rc: RunContext, cmd: StepCommand): Promise<RanAt | undefined> {
    const key = commandKey(cmd);
    const ran = this.ran.get(key);
    this.ran.delete(key);
    if (!ran) return undefined;
    const direction = fanDirection(cmd);
    const identity = slurmIdentity(ran.job.id, ran, direction ? `fan-${direction} job` : 'job');
    return { identity, replaces: (c) => c.code_identifier_type === 'slurm' && c.code_identifier === ran.job.id };
  }

  async beforeLeaf(rc: RunContext, node: Leaf, graph: Graph, frames: IterVars): Promise<number | undefined> {
    const key = `step:${resolveName(node.internalName, frames)}`;
    if (!this.submitted.has(key) && !rc.signal.aborted) await this.submitChain(rc, node, graph, [frames]);
    return this.submitted.get(key)?.attemptsBefore;
  }

  async afterLeaf(node: Leaf, graph: Graph, frames: IterVars, status: Status): Promise<void> {
    if (status !== 'SUCCESS') await this.dropChain(node, graph, [frames]);
  }

  /** A map's branches share a graph: their leading tasks go to Slurm as job arrays, then each branch runs. */
  async beforeBranches(rc: RunContext, runs: BranchRun[]): Promise<void> {
    if (!this.opts.jobArrays || rc.retrying || runs.length <= 1 || rc.signal.aborted) return;
    const byGraph = new Map<Graph, BranchRun[]>();
    for (const run of runs) byGraph.set(run.graph, [...(byGraph.get(run.graph) ?? []), run]);
    for (const [graph, group] of byGraph) {
      const start = graph.nodes[graph.startAt]!;
      if (group.length > 1 && (start.type === 'task' || start.type === 'stub')) {
        await this.submitChain(rc, start, graph, group.map((r) => r.frames));
      }
    }
  }

  /**
   * Submits `start` and the tasks/stubs after it (by `next`) for each of `iterations` (one job
   * each for one iteration, job arrays for several), each depending on the one before.
   */
  private async submitChain(rc: RunContext, start: Leaf, graph: Graph, iterations: IterVars[]): Promise<void> {
    let node: PipelineNode | undefined = start;
    let previous: SubmittedJob[] | undefined;
    while (node && (node.type === 'task' || node.type === 'stub')) {
      const leaf: Leaf = node;
      const cmds = iterations.map((frames) => stepCommand(rc, leaf, frames));
      const names = cmds.map((c) => c.internalName);
      if (previous) {
        if (names.some((n) => this.submitted.has(`step:${n}`))) break;
        // on retry a step that succeeded is skipped by the traversal: stop there
        if (rc.retrying && (await anySucceeded(rc, names))) break;
      }
      const dependency = previous ? (previous.length > 1 ? `aftercorr:${previous[0]!.id.split('_')[0]}` : `afterok:${previous[0]!.id}`) : undefined;
      const before = await Promise.all(names.map(async (n) => (await rc.log.step(n))?.attempts.length ?? 0));
      const jobs = await this.session.submit(cmds, { resources: this.opts.resourcesOf(node), dependency, throttle: this.opts.throttle, secrets: await declaredSecrets(rc.secrets, node) });
      jobs.forEach((job, i) => this.submitted.set(`step:${names[i]}`, Object.assign(job, { attemptsBefore: before[i], graph, frames: iterations[i]! })));
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
    const jobs = [...this.submitted.values()];
    this.submitted.clear();
    for (const job of jobs) {
      await job.ended; // cancelled: it writes nothing more
      const began = existsSync(`${job.base}.out`) || (await rc.log.step(job.cmd.internalName))?.status === 'PROCESSING';
      if (!began) continue;
      const result = await this.session.result(job);
      await recordLostStep(rc, job.cmd.node, job.graph, job.frames, job.attemptsBefore ?? 0, `${lostMessage(result)} (interrupted)`);
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
        const job = this.submitted.get(key);
        if (job) ids.push(job.id);
        this.submitted.delete(key);
      }
      node = 'next' in node && node.next ? graph.nodes[node.next] : undefined;
    }
    await this.session.cancel(ids);
  }
}

function commandKey(cmd: StepCommand): string {
  const direction = fanDirection(cmd);
  return direction ? `fan-${direction}:${cmd.internalName}` : `step:${cmd.internalName}`;
}

async function anySucceeded(rc: RunContext, names: string[]): Promise<boolean> {
  for (const name of names) if ((await rc.log.step(name))?.status === 'SUCCESS') return true;
  return false;
}
