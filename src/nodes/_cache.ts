/**
 * Step caching for task steps (the index is src/cache/). Before the attempts, `openTaskCache`
 * computes the step's cache key and looks it up in the run-log store's StepCache:
 * - a hit copies the cached outputs into this run (object parameters and `put` files into the
 *   run's catalog, `put` files into the working directory too) and returns the attempt to record;
 * - a miss says why (which input changed since the step's latest cached run) and the step runs;
 *   its attempts carry the miss, and a successful one is saved for later runs.
 *
 * The key hashes the step's resolved internal name, its code identity (a TS function's source
 * and the command; a shell command's text; a notebook's or Python module's file with the
 * command), what it declares it produces (returns, `put`), the parameters it receives (TS: the
 * ones its signature binds; other kinds: all it can see) and the sha256 of its `get` files.
 * A cache never fails a step: a key that cannot be computed, or cached outputs that are gone or
 * were overwritten, is a miss with the reason recorded.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { cacheSettings } from '../cache/index.js';
import type { CacheEntry, CacheInputs, CacheSettings, CachedFile, StepCache } from '../cache/types.js';
import { copyAtomic, sha256, sha256File, writeAtomic } from '../catalog/_files.js';
import { ConfinedRoot, normalizePattern } from '../catalog/_paths.js';
import { mapLimit } from '../util/map-limit.js';
import { FileSystemCatalog } from '../catalog/file-system.js';
import type { CatalogStore } from '../catalog/types.js';
import { isRunnableError } from '../errors.js';
import type { RunContext } from '../executors/context.js';
import type { Graph, TaskNode } from '../graph/model.js';
import type { IterVars } from '../graph/names.js';
import type { AttemptCache, DataCatalog, Parameter, Parameters, StepAttempt } from '../runlog/types.js';
import { signatureOf } from '../tasks/_bind.js';
import { parseCommand } from '../tasks/_module.js';
import { loadFunction } from '../tasks/typescript.js';
import { durationMs, newAttempt, now, visibleParams } from './_common.js';

const FORMAT = 1;
const CONCURRENCY = 16;

export interface TaskCache {
  /** a hit: the attempt to record, its outputs already in this run (reported to the observer) */
  readonly hit?: StepAttempt;
  /** records the miss on an attempt that runs */
  annotate(attempt: StepAttempt): void;
  /** saves a successful attempt; `newEntries`: the step's data_catalog entries added in this execution */
  save(attempt: StepAttempt, newEntries: DataCatalog[]): Promise<void>;
}

/**
 * The cache of one task execution, or undefined when the step is not cached (no `cache: true`,
 * and config `step-cache` is not `all`, or the step says `cache: false`). On a hit the restored
 * data_catalog entries are appended to `catalog`.
 */
export async function openTaskCache(
  rc: RunContext,
  node: TaskNode,
  graph: Graph,
  frames: IterVars,
  internalName: string,
  attemptNumber: number,
  catalog: DataCatalog[],
): Promise<TaskCache | undefined> {
  if (node.cache === false) return undefined;
  const settings = rc.cache ?? (await settingsOfRun(rc));
  if (!(node.cache ?? settings.mode === 'all')) return undefined;

  const start = now();
  let computed: { key: string; inputs: CacheInputs; used: Parameters };
  try {
    computed = await cacheKey(rc, node, graph, frames, internalName);
  } catch (err) {
    return new Miss(rc, node, internalName, settings.index, undefined, `cannot compute the cache key: ${errorText(err)}`);
  }
  const { key, inputs } = computed;
  const index = settings.index;
  if (!index) return new Miss(rc, node, internalName, undefined, computed, `the '${settings.storeType}' run-log store keeps no step cache`);
  if (settings.bypass) return new Miss(rc, node, internalName, index, computed, 'disabled by --no-cache');

  let reason: string;
  try {
    const entry = await index.lookup(key);
    const restored = entry && (await restore(rc, entry, computed.used, attemptNumber, start));
    if (restored && 'attempt' in restored) {
      catalog.push(...restored.catalog);
      const attempt = restored.attempt;
      rc.observer.stepStarted?.({ internalName, type: 'task', attempt: attemptNumber });
      rc.observer.stepFinished?.({ internalName, type: 'task', status: 'SUCCESS', durationMs: durationMs(attempt), message: attempt.message, cached: true });
      return { hit: attempt, annotate: () => undefined, save: async () => undefined };
    }
    reason = restored ? `cached result of run ${entry!.run_id} cannot be restored: ${restored.problem}` : whatChanged(inputs, await index.latestFor(internalName));
  } catch (err) {
    reason = `step cache unreadable (${index.location}): ${errorText(err)}`;
  }
  return new Miss(rc, node, internalName, index, computed, reason);
}

/**
 * A step executed in its own process (`execute-single-node`) gets no settings from its caller:
 * the run header records them (`run_config['step-cache']`, `run_config.no_cache`).
 */
async function settingsOfRun(rc: RunContext): Promise<CacheSettings> {
  const config = (await rc.log.header())?.run_config ?? {};
  const section = config['step-cache'] as { type?: unknown } | undefined;
  return cacheSettings(rc.log.store, section?.type === 'all' ? 'all' : 'per-step', config.no_cache === true);
}

class Miss implements TaskCache {
  private readonly info: AttemptCache;
  constructor(
    private readonly rc: RunContext,
    private readonly node: TaskNode,
    private readonly internalName: string,
    private readonly index: StepCache | undefined,
    private readonly computed: { key: string; inputs: CacheInputs } | undefined,
    reason: string,
  ) {
    this.info = { status: 'miss', key: computed?.key ?? '', reason };
  }

  annotate(attempt: StepAttempt): void {
    attempt.cache = { ...this.info };
  }

  async save(attempt: StepAttempt, newEntries: DataCatalog[]): Promise<void> {
    const { rc, index, computed } = this;
    if (!index || !computed || attempt.status !== 'SUCCESS') return;
    try {
      const objects: Record<string, string> = {};
      for (const p of Object.values(attempt.output_parameters)) {
        if (p.kind === 'object') objects[String(p.value)] = sha256(await rc.catalog.readFile(rc.runId, String(p.value)));
      }
      const puts = new Map<string, DataCatalog>();
      for (const e of newEntries) if (e.stage === 'put') puts.set(e.name, e);
      const stored = this.node.catalog?.storeCopy ?? true;
      const files: CachedFile[] = [...puts.values()].map((e) => ({ name: e.name, data_hash: e.data_hash, stored }));
      const entry: CacheEntry = {
        v: FORMAT,
        key: computed.key,
        step: this.internalName,
        run_id: rc.runId,
        attempt_number: attempt.attempt_number,
        created_at: now(),
        inputs: computed.inputs,
        output_parameters: attempt.output_parameters,
        user_defined_metrics: attempt.user_defined_metrics,
        objects,
        files,
        catalog_handler_location: [...puts.values()][0]?.catalog_handler_location ?? handlerLocation(rc.catalog),
      };
      await index.save(entry);
    } catch (err) {
      // The step succeeded; only later runs lose the shortcut.
      rc.observer.output?.(this.internalName, 2, `runnable: step cache: could not save ${this.internalName}: ${errorText(err)}\n`);
    }
  }
}

// ---- the key

export async function cacheKey(
  rc: RunContext,
  node: TaskNode,
  graph: Graph,
  frames: IterVars,
  internalName: string,
): Promise<{ key: string; inputs: CacheInputs; used: Parameters }> {
  const params = await visibleParams(rc, graph, frames);
  let source = '';
  let names: string[];
  switch (node.commandType) {
    case 'typescript': {
      const fn = await loadFunction(node.command, rc.cwd);
      source = sourceHash(fn);
      const { exportName } = parseCommand(node.command);
      const sig = signatureOf(fn, `function '${exportName === 'default' && fn.name ? fn.name : exportName}'`, await originalSource(node.command, rc.cwd));
      names = sig.kind === 'object' && sig.rest ? Object.keys(params) : sig.slots.map((s) => s.name).filter((n) => params[n] !== undefined);
      break;
    }
    case 'shell':
      // every parameter but objects becomes an env var of the script
      names = Object.keys(params).filter((n) => params[n]!.kind !== 'object');
      break;
    case 'notebook':
      source = await fileHash(path.resolve(rc.cwd, node.command.trim()));
      names = Object.keys(params);
      break;
    case 'python':
      source = await pythonModuleHash(node.command, rc.cwd);
      names = Object.keys(params);
      break;
  }
  const used: Parameters = {};
  const hashed: Record<string, string> = {};
  for (const name of names.sort()) {
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
    files: await getFileHashes(rc.catalog, rc.runId, node.catalog?.get ?? []),
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

const sources = new WeakMap<Function, string>();
function sourceHash(fn: Function): string {
  let h = sources.get(fn);
  if (h === undefined) sources.set(fn, (h = sha256(Function.prototype.toString.call(fn))));
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

/**
 * sha256 of each file the `get` globs match in the run's catalog, as the step's `get` would
 * copy them. The file-system catalog is read in place; any other catalog gets into a temporary
 * folder and gives the hashes it recorded.
 */
async function getFileHashes(catalog: CatalogStore, runId: string, globs: string[]): Promise<Record<string, string>> {
  if (!globs.length) return {};
  if (catalog instanceof FileSystemCatalog) {
    const root = catalog.location(runId);
    if (!(await stat(root).catch(() => undefined))) return {};
    const rels = new Set<string>();
    for (const pattern of globs) {
      const normal = normalizePattern(pattern, 'catalog get', "the run's catalog folder");
      for (const rel of await glob([normal], { cwd: root, dot: false, onlyFiles: true })) {
        if (!rel.endsWith('.execution.log')) rels.add(rel);
      }
    }
    const sorted = [...rels].sort();
    const hashes = await mapLimit(sorted, CONCURRENCY, async (rel) => {
      const file = path.join(root, rel);
      return sha256File(file, (await stat(file)).size);
    });
    return Object.fromEntries(sorted.map((rel, i) => [rel, hashes[i]!]));
  }
  const tmp = await mkdtemp(path.join(tmpdir(), 'runnable-cache-get-'));
  try {
    const entries = await catalog.get(runId, globs, tmp);
    return Object.fromEntries(entries.map((e) => [e.name, e.data_hash]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function fileHash(file: string): Promise<string> {
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? sha256File(file, info.size) : '';
}

/** `pkg.module.function`: the hash of `pkg/module.py` (or its package's `__init__.py`) under the working directory; '' when installed elsewhere. */
async function pythonModuleHash(command: string, cwd: string): Promise<string> {
  const parts = command.trim().split('.');
  const modulePath = parts.slice(0, -1).join('/');
  for (const candidate of [`${modulePath}.py`, `${modulePath}/__init__.py`]) {
    const h = await fileHash(path.resolve(cwd, candidate));
    if (h) return h;
  }
  return '';
}

const originals = new Map<string, Promise<string | undefined>>();

/**
 * The TS module as written: esbuild may rename a parameter in the code that runs, and
 * `signatureOf` (whose result is memoised per function) must see the user's names, as the
 * typescript task kind passes them.
 */
function originalSource(command: string, cwd: string): Promise<string | undefined> {
  const { file } = parseCommand(command);
  if (!/\.m?ts$/.test(file)) return Promise.resolve(undefined);
  const full = path.resolve(cwd, file);
  let text = originals.get(full);
  if (!text) originals.set(full, (text = readFile(full, 'utf8').catch(() => undefined)));
  return text;
}

// ---- why a miss

/** What differs from the step's latest cached entry, e.g. "parameter 'n' changed; input file data/x.csv changed". */
export function whatChanged(now: CacheInputs, before: CacheEntry | undefined): string {
  if (!before) return 'no earlier run';
  const was = before.inputs;
  const reasons: string[] = [];
  if (was.kind !== now.kind) reasons.push(`command_type changed (${was.kind} -> ${now.kind})`);
  else if (was.command !== now.command) reasons.push('command changed');
  else if (was.source !== now.source) reasons.push(SOURCE_CHANGED[now.kind]);
  if (was.outputs !== now.outputs) reasons.push('returns or catalog put changed');
  diff(was.params, now.params, (n, how) => reasons.push(`parameter '${n}' ${how}`));
  diff(was.files, now.files, (n, how) => reasons.push(`input file ${n} ${how}`));
  if (!reasons.length) reasons.push(`cache entry of run ${before.run_id} is missing`);
  return reasons.join('; ');
}

const SOURCE_CHANGED: Record<CacheInputs['kind'], string> = {
  typescript: 'function source changed',
  shell: 'command changed',
  notebook: 'notebook file changed',
  python: 'python module changed',
};

function diff(was: Record<string, string>, now: Record<string, string>, report: (name: string, how: string) => void): void {
  for (const name of [...new Set([...Object.keys(was), ...Object.keys(now)])].sort()) {
    if (!(name in was)) report(name, 'is new');
    else if (!(name in now)) report(name, 'is gone');
    else if (was[name] !== now[name]) report(name, 'changed');
  }
}

// ---- a hit

interface Restored {
  attempt: StepAttempt;
  catalog: DataCatalog[];
}

/**
 * Copies a cached entry's outputs into this run: object parameters and stored `put` files into
 * the run's catalog, `put` files into the working directory. Everything is checked against the
 * hashes the entry recorded before anything is copied, so a source overwritten or deleted since
 * (a later step of that run putting the same path, a cleaned catalog) is a miss, not a wrong hit.
 */
async function restore(rc: RunContext, entry: CacheEntry, used: Parameters, number: number, start: string): Promise<Restored | { problem: string }> {
  const { catalog, runId, cwd } = rc;
  const fsCatalog = catalog instanceof FileSystemCatalog ? catalog : undefined;
  const src = entry.run_id;

  // 1. check
  const objects = new Map<string, Buffer>();
  for (const [ref, hash] of Object.entries(entry.objects)) {
    const bytes = await catalog.readFile(src, ref).catch(() => undefined);
    if (!bytes) return { problem: `object '${ref}' is gone from its catalog` };
    if (sha256(bytes) !== hash) return { problem: `object '${ref}' was overwritten in its catalog` };
    objects.set(ref, bytes);
  }
  const copies: { file: CachedFile; from?: string; bytes?: Buffer }[] = [];
  for (const file of entry.files) {
    if (!file.stored) {
      // store_copy: false — the catalog has only the hash; the working directory must still hold the file
      if ((await fileHash(path.resolve(cwd, file.name))) !== file.data_hash) {
        return { problem: `file ${file.name} was put with store_copy: false and the working directory no longer has it` };
      }
      copies.push({ file });
      continue;
    }
    if (fsCatalog) {
      const from = path.join(fsCatalog.location(src), file.name);
      if ((await fileHash(from)) !== file.data_hash) return { problem: `file ${file.name} is gone from or changed in its catalog` };
      copies.push({ file, from });
    } else {
      const bytes = await catalog.readFile(src, file.name).catch(() => undefined);
      if (!bytes || sha256(bytes) !== file.data_hash) return { problem: `file ${file.name} is gone from or changed in its catalog` };
      copies.push({ file, bytes });
    }
  }

  // 2. copy
  for (const [ref, bytes] of objects) await catalog.writeFile(runId, ref, bytes);
  const work = new ConfinedRoot(path.resolve(cwd), 'the working directory', true);
  const runFolder = fsCatalog && new ConfinedRoot(fsCatalog.location(runId), "the run's catalog folder", true);
  await mapLimit(copies, CONCURRENCY, async ({ file, from, bytes }) => {
    if (!file.stored) return;
    const context = `cache restore of ${file.name}`;
    if (from && runFolder) {
      const [toRun, toCwd] = await Promise.all([runFolder.target(file.name, context), work.target(file.name, context)]);
      await Promise.all([toRun === from ? undefined : copyAtomic(from, toRun), copyAtomic(from, toCwd)]);
    } else {
      await catalog.writeFile(runId, file.name, bytes!);
      await writeAtomic(await work.target(file.name, context), bytes!);
    }
  });

  const location = fsCatalog?.catalogLocation ?? entry.catalog_handler_location;
  const restored: DataCatalog[] = entry.files.map((f) => ({
    name: f.name,
    data_hash: f.data_hash,
    catalog_relative_path: `${runId}/${f.name}`,
    catalog_handler_location: location,
    stage: 'put',
  }));
  const attempt: StepAttempt = {
    ...newAttempt(number, start),
    end_time: now(),
    status: 'SUCCESS',
    message: `cache hit: run ${src} step ${entry.step}`,
    input_parameters: used,
    output_parameters: entry.output_parameters,
    user_defined_metrics: entry.user_defined_metrics,
    cache: { status: 'hit', key: entry.key, source_run: src },
  };
  return { attempt, catalog: restored };
}

function handlerLocation(catalog: CatalogStore): string {
  return catalog instanceof FileSystemCatalog ? catalog.catalogLocation : '';
}

function errorText(err: unknown): string {
  return isRunnableError(err) ? err.message : err instanceof Error ? err.message : String(err);
}
