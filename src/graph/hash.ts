/**
 * `dag_hash`: identifies a pipeline's structure, so `retry` can refuse a run whose pipeline
 * changed. Computed on the model, not the text, so YAML formatting, comments, key order and
 * anchors do not matter and an SDK-built twin of a YAML pipeline hashes the same.
 */
import { createHash } from 'node:crypto';
import type { Graph } from './model.js';

export function dagHash(graph: Graph): string {
  return createHash('sha256').update(canonicalJson(graph)).digest('hex');
}

/**
 * Sorted keys; `description` and `cache` left out (not structure); undefined, empty lists
 * and empty objects left out, so that "absent" and "empty" (`returns: []`, `overrides: {}`),
 * which mean the same, hash the same whichever way a builder spells them.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalise(value)) ?? 'null';
}

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v) ?? null);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    // documentation and caching are not structure: changing them must not block a retry
    if (key === 'description' || key === 'cache') continue;
    const v = normalise((value as Record<string, unknown>)[key]);
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[key] = v;
  }
  return out;
}

/**
 * A short hash per step (by template internal name) of the step's own definition, its branches
 * left out (their steps have their own entries): what `retry` compares to say what changed.
 */
export function stepHashes(graph: Graph): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (g: Graph) => {
    for (const node of Object.values(g.nodes)) {
      // The step's own fields; of its branches only their names (their steps are hashed on their own).
      const { branches, branch: _branch, default: fallback, ...fields } = node as unknown as Record<string, unknown> & { branches?: object; default?: object };
      const own = { ...fields, branch_names: branches ? Object.keys(branches) : undefined, has_default: fallback ? true : undefined };
      out[node.internalName] = createHash('sha256').update(canonicalJson(own)).digest('hex').slice(0, 16);
      if ('branches' in node) for (const b of Object.values(node.branches)) walk(b);
      if ('branch' in node) walk(node.branch);
      if ('default' in node && node.default) walk(node.default);
    }
  };
  walk(graph);
  return out;
}

/** What differs between two `stepHashes`: steps added, removed and changed. */
export function describeChanges(before: Record<string, string>, after: Record<string, string>): string {
  const added = Object.keys(after).filter((k) => !(k in before));
  const removed = Object.keys(before).filter((k) => !(k in after));
  const changed = Object.keys(after).filter((k) => k in before && before[k] !== after[k]);
  const parts: string[] = [];
  const list = (xs: string[]) => xs.slice(0, 8).join(', ') + (xs.length > 8 ? `, ... (${xs.length} in all)` : '');
  if (changed.length) parts.push(`changed: ${list(changed)}`);
  if (added.length) parts.push(`added: ${list(added)}`);
  if (removed.length) parts.push(`removed: ${list(removed)}`);
  return parts.join('; ') || 'the structure differs';
}
