/**
 * Put claims: the branches of a map or parallel step run side by side (at once with
 * `max_parallel`, in other processes under emulate, containers, Slurm, Argo), so two of them
 * putting one catalog name overwrite each other's file, the run log recording a hash per branch
 * for one file. A step inside such a branch therefore claims each name it puts, per enclosing
 * map/parallel iteration (`fan`, `loop.2.fan`), for its branch there, and a put that would
 * overwrite a file another branch of that iteration declared fails the step before anything is
 * stored, naming both steps (README, "Catalog"):
 * - a put pattern that names the file itself (`out.txt`) declares it: a sibling that declared
 *   the name first is refused, whatever the bytes;
 * - a file a glob or a folder pattern selected (`parts/*.txt`) is refused when a sibling put
 *   that name, by name or by a pattern, with other bytes. Branches that share a working directory
 *   (local, emulate, local-container, Slurm on one disk) see each other's files, so a glob taking
 *   a sibling's file with the bytes the sibling put is not an error; with other bytes (each
 *   branch wrote the name itself, or one glob caught the file half-written: which branch wrote
 *   it cannot be told) one of the two puts would overwrite the other's file, so the later one
 *   fails, on a retry too;
 * - a put that names the file takes it over from a sibling whose glob selected it: which branch
 *   writes a file it names is known, and a glob catching it half-written must not refuse it.
 *
 * Allowed: the same branch putting a name again (the step's other attempts, a retry, later
 * steps of the branch: the record follows its latest content), and everything outside the
 * composite (steps after its fan-in, loop iterations, other iterations of an enclosing loop):
 * they run one after another and overwrite as files do.
 *
 * Each claim is one record of the catalog's `claims` capability (created once, exclusively across
 * processes), so a put costs one record per file per enclosing map/parallel, whatever the number
 * of branches.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { isDynamicPattern } from 'tinyglobby';
import { claimRecords, type PutFile } from '../catalog/index.js';
import type { RunContext } from '../engine/context.js';
import { RunnableError } from '../errors.js';
import type { Graph, PipelineNode } from '../graph/model.js';
import { subGraph, type IterVars } from '../graph/names.js';

/** One enclosing map or parallel iteration of a step, and the step's branch in it. */
interface Level {
  /** the composite's resolved internal name: `fan`, `loop.2.fan` */
  composite: string;
  type: 'map' | 'parallel';
  /** the branch's key: the map item, the parallel branch's name */
  branch: string;
  /** the map's `iterate_as` */
  variable?: string;
}

/** What a claim record holds. */
interface Claim {
  composite: string;
  name: string;
  branch: string;
  /** the step that put the name last in this branch */
  step: string;
  sha256: string;
  /** a put pattern of the branch named the file itself */
  declared: boolean;
}

export type Admit = (file: PutFile) => Promise<void>;

/**
 * The `admit` of the puts of step `internalName` in `graph` (catalog PutOptions), or undefined
 * when no map or parallel step encloses it.
 */
export function putAdmission(rc: RunContext, graph: Graph, frames: IterVars, internalName: string): Admit | undefined {
  const levels = concurrentLevels(rc.pipeline.graph, graph.internalName, frames);
  if (!levels.length) return undefined;
  const records = claimRecords(rc.catalog);
  return async ({ name, sha256, pattern }) => {
    const declared = pattern !== undefined && namesFile(pattern, name);
    const replace: [string, string][] = [];
    // innermost first; records are replaced only once every level admitted the file
    for (const level of levels) {
      const key = createHash('sha256').update(`${level.composite}\0${name}`).digest('hex');
      const mine: Claim = { composite: level.composite, name, branch: level.branch, step: internalName, sha256, declared };
      const held = await records.create(rc.runId, key, JSON.stringify(mine));
      if (held === undefined) continue;
      const other = parseClaim(held);
      if (!other) {
        replace.push([key, JSON.stringify(mine)]); // a damaged record: ours now
      } else if (other.branch === level.branch) {
        const next = { ...mine, declared: declared || other.declared };
        if (next.sha256 !== other.sha256 || next.step !== other.step || next.declared !== other.declared) replace.push([key, JSON.stringify(next)]);
      } else if (other.declared ? declared || other.sha256 !== sha256 : !declared && other.sha256 !== sha256) {
        throw refusal(level, other, mine);
      } else if (declared) {
        // the sibling's glob took the name (maybe this branch's file, half-written): the put that names it holds it
        replace.push([key, JSON.stringify(mine)]);
      }
    }
    for (const [key, text] of replace) await records.replace(rc.runId, key, text);
  };
}

/** The pattern is the file's own path (no glob syntax, not a folder above it). */
function namesFile(pattern: string, name: string): boolean {
  return !isDynamicPattern(pattern) && posix.normalize(pattern.replace(/\\(.)/g, '$1')) === name;
}

/** The map and parallel iterations enclosing a graph (its template internal name), innermost first. */
function concurrentLevels(root: Graph, branchTemplate: string, frames: IterVars): Level[] {
  if (!branchTemplate) return [];
  const segs = branchTemplate.split('.');
  const levels: Level[] = [];
  let graph: Graph | undefined = root;
  let prefix = '';
  let frame = 0;
  for (let i = 0; i + 1 < segs.length && graph; i += 2) {
    const node: PipelineNode | undefined = graph.nodes[segs[i]!];
    if (!node) break;
    const composite = prefix ? `${prefix}.${node.name}` : node.name;
    const iterates = node.type === 'map' || node.type === 'loop';
    const branch = iterates ? String(frames[frame++]?.value) : segs[i + 1]!;
    if (node.type === 'map') levels.unshift({ composite, type: 'map', branch, variable: node.iterateAs });
    if (node.type === 'parallel') levels.unshift({ composite, type: 'parallel', branch });
    graph = subGraph(node, segs[i + 1]!, true);
    prefix = `${composite}.${branch}`;
  }
  return levels;
}

function parseClaim(text: string): Claim | undefined {
  try {
    const c = JSON.parse(text) as Partial<Claim>;
    return typeof c.branch === 'string' && typeof c.step === 'string' && typeof c.sha256 === 'string' ? { ...(c as Claim), declared: c.declared === true } : undefined;
  } catch {
    return undefined;
  }
}

/** One line: the name, both steps, and what to do. */
function refusal(level: Level, other: Claim, mine: Claim): RunnableError {
  const fix =
    level.type === 'map'
      ? `include the map variable '${level.variable}' in the file name (e.g. write '${tagged(mine.name, `<${level.variable}>`)}' and put '${tagged(mine.name, '*')}')`
      : `give each branch's file a name of its own (e.g. '${tagged(mine.name, level.branch)}')`;
  return new RunnableError(
    'E_CATALOG',
    `catalog put: '${mine.name}' was already put by step '${other.step}', another branch of ${level.type} '${level.composite}'; ` +
      `step '${mine.step}' would overwrite it: ${fix}`,
  );
}

/** `dir/out.txt` → `dir/out-<tag>.txt` */
function tagged(name: string, tag: string): string {
  const slash = name.lastIndexOf('/');
  const base = name.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const at = dot > 0 ? slash + 1 + dot : name.length;
  return `${name.slice(0, at)}-${tag}${name.slice(at)}`;
}
