/**
 * Translating a position in the YAML (`dag.steps.p.branches.b1.steps.a.next`) into what users
 * see in messages: the step's internal name (`p.b1.a`) and the field inside it (`next`).
 */
import { LOOP_PLACEHOLDER, MAP_PLACEHOLDER } from '../graph/names.js';
import type { YamlPath } from './yaml-file.js';

export interface StepField {
  step?: string;
  field?: string;
}

export function formatField(segs: YamlPath): string | undefined {
  let out = '';
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out || undefined;
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * `root` is the parsed file; `path` starts at `dag` (or `job`). Branch graphs are named as the
 * model names them: `p.b1` for parallel/conditional, placeholders for map and loop.
 */
export function stepAndField(root: unknown, path: YamlPath): StepField {
  if (path[0] === 'job') return { step: 'job', field: formatField(path.slice(1)) };
  if (path[0] !== 'dag') return { field: formatField(path) };
  let graph = '';
  let obj: unknown = isRecord(root) ? root.dag : undefined;
  let i = 1;
  for (;;) {
    // graph context: `obj` is {start_at, steps}
    if (path[i] !== 'steps' || i + 1 >= path.length) {
      const rest = path.slice(i);
      if (!graph) return { field: formatField(['dag', ...rest]) };
      return { step: graph, field: formatField(rest) };
    }
    const name = String(path[i + 1]);
    const step = graph ? `${graph}.${name}` : name;
    const stepObj = isRecord(obj) && isRecord(obj.steps) ? obj.steps[name] : undefined;
    i += 2;
    // step context
    const seg = path[i];
    const type = isRecord(stepObj) ? stepObj.type : undefined;
    if (seg === 'branches' && i + 1 < path.length && (type === 'parallel' || type === 'conditional')) {
      graph = `${step}.${path[i + 1]}`;
      obj = isRecord(stepObj) && isRecord(stepObj.branches) ? stepObj.branches[String(path[i + 1])] : undefined;
      i += 2;
    } else if (seg === 'branch' && (type === 'map' || type === 'loop')) {
      graph = `${step}.${type === 'map' ? MAP_PLACEHOLDER : LOOP_PLACEHOLDER}`;
      obj = isRecord(stepObj) ? stepObj.branch : undefined;
      i += 1;
    } else if (seg === 'default' && type === 'conditional') {
      graph = `${step}.default`;
      obj = isRecord(stepObj) ? stepObj.default : undefined;
      i += 1;
    } else {
      return { step, field: formatField(path.slice(i)) };
    }
    if (i >= path.length) return { step: graph };
  }
}

/** The value at `path` in plain data. */
export function valueAt(root: unknown, path: YamlPath): unknown {
  let v = root;
  for (const seg of path) {
    if (Array.isArray(v) && typeof seg === 'number') v = v[seg];
    else if (isRecord(v)) v = v[String(seg)];
    else return undefined;
  }
  return v;
}
