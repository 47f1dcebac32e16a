/**
 * `local-container`: every task in a container on this machine. Each task is
 * `runnable execute-single-node` inside `podman run --rm` (docker when a docker engine answers),
 * started from the image in the config, launched and read back as `emulate` does (the shared
 * protocol traversal, engine/protocol.ts, with the container launcher, _container_launcher.ts). Steps that run no user code stay in this process, as in
 * runnable's local-container: stubs, `success`/`fail`, and opening/closing composites (a map's
 * custom reducer too), which saves a process per stub and two per branch.
 *
 * - The working directory is bind-mounted at the same path (`-v cwd:cwd -w cwd`), so the
 *   pipeline, the user's code, the run log and the catalog (under it by default) are shared;
 *   a run-log folder, catalog, config or pipeline file elsewhere is mounted at its own path too.
 *   The runnable-ts installation is mounted read-only at its own path: the image needs only
 *   `node` (>= 20) and what the steps' commands use (bash for shell steps).
 *   `scripts/container-image.sh` builds such an image from this machine's node without a registry.
 * - Containers use the host's network unless `network` says otherwise (`bridge`, `none`, ...):
 *   a step reaches what it would under `local`, and no network is set up per container.
 * - The container gets the config's `environment`, this process's `RUNNABLE_*` variables and the
 *   step's `secrets` (passed by name: values are never on a command line), nothing else.
 * - A task's `overrides: {local-container: NAME}` picks `overrides.NAME` of the config: another
 *   image, more environment (merged over the config's, key by key), another network, more `run` options.
 * - Output is streamed live; the container is removed after (`auto_remove_container: false`
 *   keeps it for a post-mortem). A container that dies mid-step (`podman kill`, out of memory)
 *   fails its step with the exit status and stderr tail; `runnable retry` runs it again.
 * - Each task records the image it ran in its `code_identities`, after the git identity:
 *   `{code_identifier_type: 'docker', code_identifier: '<image digest>', code_identifier_url:
 *   '<image as configured>'}`. Containers run the image by id, resolved once per run, so the
 *   digest recorded is the image that ran even if the tag moves meanwhile.
 * - `max_parallel: N` runs up to N branches of a parallel or map step at once (needs a run-log
 *   store that takes concurrent writers, `chunked-fs`), as `emulate` does.
 *
 * @example
 * # runnable-config.yaml
 * pipeline-executor:
 *   type: local-container
 *   config:
 *     docker_image: localhost/runnable-ts-node:latest
 *     environment: {LOG_LEVEL: info}
 *     overrides:
 *       big: {docker_image: localhost/my-gpu-image:1.2, run_options: ["--memory=8g"]}
 * run-log-store:
 *   type: chunked-fs
 * # and on a task: overrides: {local-container: big}
 */
import * as z from 'zod';
import type { Pipeline, PipelineNode } from '../graph/model.js';
import { walkNodes } from '../graph/walk.js';
import type { Plugin } from '../registry.js';
import type { RunLogStore, Status } from '../runlog/types.js';
import type { RunContext } from '../engine/context.js';
import { ProtocolTraversal, pipelineFile } from '../engine/protocol.js';
import { fileForOtherProcesses, overrideFor } from './_elsewhere.js';
import { containerSettings, detectEngine, engineSetting, imageProblems, requireImage } from './_container.js';
import type { RunnableError } from '../errors.js';
import { ContainerLauncher, containerSettingsOf, type ContainerSettings } from './_container_launcher.js';
import type { PipelineExecutor } from './types.js';
import { branchWidth, parallelFields } from './_parallel.js';

export const localContainerConfig = requireImage(
  z.strictObject({
    ...containerSettings,
    /** `auto`: docker when a docker engine answers, else podman */
    engine: engineSetting,
    ...parallelFields,
    /** per-step settings, picked by a task's `overrides: {local-container: NAME}` */
    overrides: z.record(z.string(), z.strictObject(containerSettings)).default({}),
  }),
  'the steps',
);
export type LocalContainerConfig = z.infer<typeof localContainerConfig>;

/** What one task runs with, the config's settings with its override applied. */
export function settingsFor(config: LocalContainerConfig, node: PipelineNode): ContainerSettings {
  const base = containerSettingsOf(config);
  const entry = overrideFor(config.overrides, node, 'local-container');
  return entry ? containerSettingsOf(entry, base) : base;
}

export class LocalContainerExecutor implements PipelineExecutor {
  readonly type = 'local-container';
  /** containers write the run log: nothing may be cached */
  readonly exclusive = false;
  constructor(private readonly config: LocalContainerConfig) {}

  /** A task naming an `overrides` entry that the config does not have is an error before the run. */
  pipelineToCheck(pipeline: Pipeline, store: RunLogStore): Pipeline {
    fileForOtherProcesses(store, pipeline.source, 'pipeline', 'local-container', 'in containers');
    for (const node of walkNodes(pipeline.graph)) if (node.type === 'task') settingsFor(this.config, node);
    return pipeline;
  }

  /** Every image the steps name exists or can be pulled (./_container.ts `imageProblems`). */
  async preflight(pipeline: Pipeline, configFile?: string): Promise<RunnableError[]> {
    const users = new Map<string, string>();
    for (const node of walkNodes(pipeline.graph)) {
      const ref = node.type === 'task' ? settingsFor(this.config, node).image : undefined;
      if (ref && !users.has(ref)) users.set(ref, node.internalName);
    }
    return imageProblems(this.config.engine, users, { file: configFile, field: 'pipeline-executor.config.docker_image' });
  }

  async execute(rc: RunContext): Promise<Status> {
    const engine = await detectEngine(this.config.engine);
    const width = rc.log.store.concurrentWriters ? branchWidth(this.config) : 1;
    const launcher = new ContainerLauncher(engine, (node) => settingsFor(this.config, node), pipelineFile);
    return new ProtocolTraversal(width, launcher).runGraph(rc, rc.pipeline.graph, []);
  }
}

export const localContainer: Plugin<PipelineExecutor, LocalContainerConfig> = {
  config: localContainerConfig,
  create: (config) => new LocalContainerExecutor(config),
};
