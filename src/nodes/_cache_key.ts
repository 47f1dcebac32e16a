/**
 * Step caching, the key: what a task's result depends on, each part hashed. The key hashes the
 * step's resolved internal name, its code identity as its task kind states it (a TS function's
 * source, a notebook's or Python module's file; a shell command's text is its code), the
 * command, what it declares it produces (returns, `put`, `store_copy`, kind options), the
 * parameters its kind says it receives and the sha256 of its `get` files as the catalog reports
 * them. Nothing here knows a task kind or a catalog by name.
 */
import type { CacheInputs } from '../cache/types.js';
import { catalogHashes } from '../catalog/index.js';
import type { RunContext } from '../engine/context.js';
import type { Graph, TaskNode } from '../graph/model.js';
import type { IterVars } from '../graph/names.js';
import type { Parameter, Parameters } from '../runlog/types.js';
import { taskKindFor } from '../tasks/index.js';
import { sha256 } from '../util/sha256.js';
import { visibleParams } from './_common.js';

/** the entries' format version, part of every key */
export const FORMAT = 1;

export interface ComputedKey {
  key: string;
  inputs: CacheInputs;
  /** the parameters the task receives, recorded as a hit's input_parameters */
  used: Parameters;
}

export async function cacheKey(rc: RunContext, node: TaskNode, graph: Graph, frames: IterVars, internalName: string): Promise<ComputedKey> {
  const params = await visibleParams(rc, graph, frames);
  const { source, receives } = await taskKindFor(node.commandType).cacheIdentity(node, rc.cwd, params);
  const used: Parameters = {};
  const hashed: Record<string, string> = {};
  for (const name of [...receives].sort()) {
    used[name] = params[name]!;
    hashed[name] = await paramHash(rc, params[name]!);
  }
  const own = nodeHashes(node);
  const inputs: CacheInputs = {
    kind: node.commandType,
    command: own.command,
    source,
    outputs: own.outputs,
    params: hashed,
    files: await catalogHashes(rc.catalog, rc.runId, node.catalog?.get ?? []),
  };
  return { key: sha256(stableJson({ v: FORMAT, step: internalName, inputs })), inputs, used };
}

/** What depends on the step's definition only, hashed once per node (a map's iterations share it). */
const ownHashes = new WeakMap<TaskNode, { command: string; outputs: string }>();
function nodeHashes(node: TaskNode): { command: string; outputs: string } {
  let h = ownHashes.get(node);
  if (!h) {
    const outputs = { returns: node.returns, put: node.catalog?.put ?? [], store_copy: node.catalog?.storeCopy ?? true, options: node.options };
    h = { command: sha256(node.command), outputs: sha256(stableJson(outputs)) };
    ownHashes.set(node, h);
  }
  return h;
}

/** json and metric values by their canonical JSON; objects by the bytes they were serialised to. */
async function paramHash(rc: RunContext, p: Parameter): Promise<string> {
  if (p.kind === 'object') return sha256(`object\0${sha256(await rc.catalog.readFile(rc.runId, String(p.value)))}`);
  return sha256(`json\0${stableJson(p.value)}`);
}

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
  return out;
}
