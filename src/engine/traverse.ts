/**
 * The one traversal every executor shares: walk a graph from `start_at`, following `next` on
 * success and `on_failure` (else the graph's fail node) on failure, until a success or fail
 * step; composites fan out, run their branches, fan in. Executors change only the hooks:
 * where a leaf step runs, how composites fan, how many branches run at once.
 */
import { isComposite, type CompositeNode, type Graph, type PipelineNode } from '../graph/model.js';
import { resolveName, type IterVars } from '../graph/names.js';
import { StepFailure, closeComposite, compositeOf, executeLeaf, skipSucceeded, type BranchRun, type FanInResult } from '../nodes/index.js';
import type { Status } from '../runlog/types.js';
import type { RunContext } from './context.js';

export class Traversal {
  constructor(
    /** branches of one composite that run at once */
    readonly maxParallel = 1,
  ) {}

  /** Runs a leaf step; executors that run steps elsewhere override this. */
  runLeaf(rc: RunContext, node: Exclude<PipelineNode, CompositeNode>, graph: Graph, frames: IterVars): Promise<Status> {
    return executeLeaf(rc, node, graph, frames);
  }

  fanOut(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<BranchRun[]> {
    return compositeOf(node).fanOut(rc, node, graph, frames);
  }

  fanIn(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<FanInResult> {
    return compositeOf(node).fanIn(rc, node, graph, frames);
  }

  async runGraph(rc: RunContext, graph: Graph, frames: IterVars): Promise<Status> {
    let node = graph.nodes[graph.startAt]!;
    for (;;) {
      if (rc.signal.aborted) return 'FAIL';
      const status = (await skipSucceeded(rc, node, graph, frames))
        ? 'SUCCESS'
        : isComposite(node)
          ? await this.runComposite(rc, node, graph, frames)
          : await this.runLeaf(rc, node, graph, frames);
      if (node.type === 'success' || node.type === 'fail') return node.type === 'success' ? 'SUCCESS' : 'FAIL';
      const nextName = status === 'SUCCESS' ? node.next : node.onFailure ?? failNodeOf(graph);
      node = graph.nodes[nextName!]!;
    }
  }

  async runComposite(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<Status> {
    let runs: BranchRun[];
    try {
      runs = await this.fanOut(rc, node, graph, frames);
    } catch (err) {
      if (!(err instanceof StepFailure)) throw err;
      await closeComposite(rc, node, graph, frames, 'FAIL', err.message);
      return 'FAIL';
    }
    for (;;) {
      rc.observer.branchesOpened?.({ internalName: resolveName(node.internalName, frames), type: node.type, branches: runs.map((r) => r.internalName) });
      await this.runBranches(rc, runs);
      if (rc.signal.aborted) {
        await closeComposite(rc, node, graph, frames, 'FAIL', 'interrupted');
        return 'FAIL';
      }
      let result: FanInResult;
      try {
        result = await this.fanIn(rc, node, graph, frames);
      } catch (err) {
        if (!(err instanceof StepFailure)) throw err;
        await closeComposite(rc, node, graph, frames, 'FAIL', err.message);
        return 'FAIL';
      }
      if (!result.next) return result.status;
      runs = result.next;
    }
  }

  /** Runs branches, at most `maxParallel` at once; every branch runs even when others fail. */
  async runBranches(rc: RunContext, runs: BranchRun[]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < runs.length && !rc.signal.aborted) {
        const run = runs[next++]!;
        rc.observer.branchStarted?.({ internalName: run.internalName });
        const status = await this.runGraph(rc, run.graph, run.frames);
        rc.observer.branchFinished?.({ internalName: run.internalName, status: rc.signal.aborted ? 'FAIL' : status });
      }
    };
    const width = Math.max(1, Math.min(this.maxParallel, runs.length));
    await Promise.all(Array.from({ length: width }, worker));
  }
}

function failNodeOf(graph: Graph): string {
  for (const [name, node] of Object.entries(graph.nodes)) if (node.type === 'fail') return name;
  return 'fail';
}
