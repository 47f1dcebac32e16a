/**
 * How each step of the pipeline ended in one run, by template internal name: a step inside a
 * map or loop runs once per iteration, so its summary counts the iterations by status.
 */
import { isComposite, type Graph } from '../graph/model.js';
import type { RunLog, Status, StepLog } from '../runlog/types.js';

export interface StepStatusSummary {
  /** the worst status across its runs: FAIL > PROCESSING > CREATED > SUCCESS */
  status: Status;
  /** how many times it ran (iterations of the enclosing maps and loops) */
  runs: number;
  failed: number;
  /** summed duration of its last attempts, ms */
  durationMs: number;
}

const RANK: Record<Status, number> = { SUCCESS: 0, CREATED: 1, PROCESSING: 2, FAIL: 3 };

export function runStatuses(root: Graph, log: RunLog): Map<string, StepStatusSummary> {
  const out = new Map<string, StepStatusSummary>();
  const add = (template: string, step: StepLog) => {
    const prev = out.get(template);
    const last = step.attempts.at(-1);
    const ms = last?.end_time ? Math.max(0, Date.parse(last.end_time) - Date.parse(last.start_time)) : 0;
    if (!prev) out.set(template, { status: step.status, runs: 1, failed: step.status === 'FAIL' ? 1 : 0, durationMs: ms });
    else {
      if (RANK[step.status] > RANK[prev.status]) prev.status = step.status;
      prev.runs++;
      if (step.status === 'FAIL') prev.failed++;
      prev.durationMs += ms;
    }
  };
  const walk = (graph: Graph, steps: Record<string, StepLog>) => {
    for (const step of Object.values(steps)) {
      const node = graph.nodes[step.name];
      if (!node) continue; // a run of another version of the pipeline: draw what still matches
      add(node.internalName, step);
      if (!isComposite(node)) continue;
      for (const branch of Object.values(step.branches)) {
        const key = branch.internal_name.slice(branch.internal_name.lastIndexOf('.') + 1);
        const sub = node.type === 'map' || node.type === 'loop' ? node.branch : node.type === 'conditional' && key === 'default' && node.default ? node.default : node.branches[key];
        if (sub) walk(sub, branch.steps);
      }
    }
  };
  walk(root, log.steps);
  return out;
}
