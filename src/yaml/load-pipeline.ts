/**
 * Pipeline and job YAML -> model. Every problem is a RunnableError naming the file, the step,
 * the field and the line; the first problem found is the one reported.
 */
import { RunnableError } from '../errors.js';
import type { Job, Pipeline } from '../graph/model.js';
import { validateGraph } from '../graph/validate.js';
import { issueToError, kindOf } from './_issues.js';
import { isRecord } from './_paths.js';
import { ModelBuilder } from './_to-model.js';
import { JobFileSchema, PipelineFileSchema } from './schema.js';
import type { RawBranch, RawJobTask } from './schema.js';
import { parseYaml, readYamlFile } from './yaml-file.js';
import type { YamlFile } from './yaml-file.js';

/** `path` is taken from `cwd`; messages and `source.path` show it relative to `cwd` when inside. */
export async function loadPipelineFile(path: string, cwd: string): Promise<Pipeline> {
  return pipelineFrom(await readYamlFile(path, cwd, 'pipeline'));
}

/** `file` is the display path used in messages and as `source.path`. */
export function parsePipeline(text: string, file: string): Pipeline {
  return pipelineFrom(parseYaml(text, file));
}

export async function loadJobFile(path: string, cwd: string): Promise<Job> {
  return jobFrom(await readYamlFile(path, cwd, 'job'));
}

export function parseJob(text: string, file: string): Job {
  return jobFrom(parseYaml(text, file));
}

function pipelineFrom(y: YamlFile): Pipeline {
  requireTop(y, 'dag', 'job', 'execute-job');
  const parsed = PipelineFileSchema.safeParse(y.value);
  if (!parsed.success) throw issueToError(parsed.error.issues, y, 'E_SCHEMA');
  const builder = new ModelBuilder(y);
  const graph = builder.graph(parsed.data.dag as RawBranch, '', ['dag']);
  try {
    validateGraph(graph);
  } catch (e) {
    throw locateGraphError(e, y, builder.origins);
  }
  return { graph, source: { kind: 'yaml', path: y.file } };
}

function jobFrom(y: YamlFile): Job {
  requireTop(y, 'job', 'dag', 'execute');
  const parsed = JobFileSchema.safeParse(y.value);
  if (!parsed.success) throw issueToError(parsed.error.issues, y, 'E_SCHEMA');
  const raw = parsed.data.job as RawJobTask;
  const builder = new ModelBuilder(y);
  const fields = builder.task(raw, 'job', ['job']);
  return {
    task: { type: 'task', name: 'job', internalName: 'job', overrides: { ...(raw.overrides ?? {}) }, ...fields },
    source: { kind: 'yaml', path: y.file },
  };
}

/** A clear message for an empty file and for the common mix-up of a job file and a pipeline file. */
function requireTop(y: YamlFile, key: string, other: string, otherCommand: string): void {
  if (isRecord(y.value) && key in y.value) return;
  let message: string;
  if (y.value === null || y.value === undefined) message = `the file is empty: expected a top-level '${key}:'`;
  else if (!isRecord(y.value)) message = `expected a mapping with a top-level '${key}:', got ${kindOf(y.value)}`;
  else if (other in y.value) message = `missing top-level '${key}:' (this file has '${other}:'; run it with 'runnable ${otherCommand}')`;
  else message = `missing top-level '${key}:'`;
  throw new RunnableError('E_SCHEMA', message, { file: y.file, field: key, line: 1 });
}

function locateGraphError(e: unknown, y: YamlFile, origins: Map<string, readonly (string | number)[]>): unknown {
  if (!(e instanceof RunnableError)) return e;
  const { step, field } = e.where;
  const at = origins.get(step ?? '') ?? ['dag'];
  return new RunnableError(e.code, e.message, {
    file: y.file,
    step,
    field: field && !step ? `dag.${field}` : field,
    line: y.lineOf(field ? [...at, field] : at),
  });
}
