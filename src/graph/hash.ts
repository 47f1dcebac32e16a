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
 * Sorted keys; `description` left out (documentation is not structure); undefined, empty lists
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
    if (key === 'description') continue;
    const v = normalise((value as Record<string, unknown>)[key]);
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[key] = v;
  }
  return out;
}
