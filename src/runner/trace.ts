/** Where a run meets telemetry: the driver traces the run, a step's process its attempts (and, with no driver, what it alone knows). */
import type { Pipeline } from '../graph/model.js';
import type { RunLogAccess } from '../runlog/access.js';
import { secretValuesOf } from '../secrets/mask.js';
import { startTelemetry, telemetrySettings, type PodStep, type RunTelemetry, type TelemetryInputs } from '../telemetry/index.js';
import type { Services } from './prepare.js';

/** OpenTelemetry spans of the run (or of one step of it), when telemetry is on (src/telemetry/). */
export async function traceRun(services: Services, pipeline: Pipeline, log: RunLogAccess, role: TelemetryInputs['role'], env: NodeJS.ProcessEnv = process.env, pod?: PodStep): Promise<RunTelemetry | undefined> {
  if (!telemetrySettings(services.config, env)) return undefined;
  return startTelemetry({ role, pod, runId: log.runId, graph: pipeline.graph, log, env, config: services.config, secrets: await secretValuesOf(pipeline, services.secrets) });
}
