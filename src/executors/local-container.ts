/**
 * `local-container`: every task in a container on this machine. Each task is
 * `runnable execute-single-node` inside `podman run --rm` (docker when a docker engine answers),
 * started from the image in the config, launched and read back as `emulate` does (the shared
 * protocol traversal, _protocol.ts). Steps that run no user code stay in this process, as in
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
import { z } from 'zod';
import type { CompositeNode, Graph, Pipeline, PipelineNode } from '../graph/model.js';
import { resolveName, type IterVars } from '../graph/names.js';
import { walkNodes } from '../graph/walk.js';
import { RunnableError } from '../errors.js';
import { compositeOf, executeLeaf, type BranchRun, type FanInResult } from '../nodes/index.js';
import { parentOfStep } from '../nodes/_common.js';
import type { Plugin } from '../registry.js';
import type { CodeIdentity, RunLogStore, Status } from '../runlog/types.js';
import type { RunContext } from './context.js';
import { ChildProcessTraversal, RUNNABLE_BIN } from './emulate.js';
import { pipelineFile, type StepCommand, type StepProcessResult } from './_protocol.js';
import { fileForOtherProcesses } from './_elsewhere.js';
import { containerEnd, containerName, containerSettings, detectEngine, engineSetting, requireImage, imageIdentity, inspectImage, passedEnv, runArgs, runMounts, type EngineName, type ImageInfo, type Mount } from './_container.js';
import type { PipelineExecutor } from './types.js';

export const localContainerConfig = requireImage(
  z.strictObject({
    ...containerSettings,
    /** `auto`: docker when a docker engine answers, else podman */
    engine: engineSetting,
    /** branches of a parallel or map step running at once */
    max_parallel: z.number().int().min(1).default(1),
    /** per-step settings, picked by a task's `overrides: {local-container: NAME}` */
    overrides: z.record(z.string(), z.strictObject(containerSettings)).default({}),
  }),
  'the steps',
);
export type LocalContainerConfig = z.infer<typeof localContainerConfig>;

/** What one task runs with, the config's settings with its override applied. */
export interface ContainerSettings {
  image: string;
  environment: Record<string, string>;
  runOptions: string[];
  remove: boolean;
  network: string;
}

export function settingsFor(config: LocalContainerConfig, node: PipelineNode): ContainerSettings {
  const base: ContainerSettings = {
    image: (config.docker_image ?? config.image)!,
    environment: { ...config.environment },
    runOptions: [...(config.run_options ?? [])],
    remove: config.auto_remove_container ?? true,
    network: config.network ?? 'host',
  };
  const name = node.overrides?.['local-container'];
  if (!name) return base;
  const entry = config.overrides[name];
  if (!entry) {
    const known = Object.keys(config.overrides);
    throw new RunnableError('E_CONFIG', `step '${node.internalName}' asks for local-container override '${name}', which the config does not define${known.length ? ` (defined: ${known.join(', ')})` : ''}`, {
      field: 'pipeline-executor.config.overrides',
      step: node.internalName,
    });
  }
  return {
    image: entry.docker_image ?? entry.image ?? base.image,
    environment: { ...base.environment, ...entry.environment },
    runOptions: [...base.runOptions, ...(entry.run_options ?? [])],
    remove: entry.auto_remove_container ?? base.remove,
    network: entry.network ?? base.network,
  };
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

  async execute(rc: RunContext): Promise<Status> {
    const engine = await detectEngine(this.config.engine);
    const width = rc.log.store.concurrentWriters ? this.config.max_parallel : 1;
    return new ContainerTraversal(width, this.config, engine).runGraph(rc, rc.pipeline.graph, []);
  }
}

type Leaf = Exclude<PipelineNode, CompositeNode>;

/**
 * The protocol traversal with emulate's process handling; a task's `execute-single-node` runs
 * in a container (`processFor`), everything else in this process.
 */
export class ContainerTraversal extends ChildProcessTraversal {
  /** images resolved to their id once per run: every step runs the same image */
  private readonly images = new Map<string, Promise<ImageInfo | undefined>>();
  /** the `run` arguments of each container command, prepared (async) by launch for processFor */
  private readonly prepared = new WeakMap<StepCommand, string[]>();
  private mounts: Promise<Mount[]> | undefined;

  constructor(
    width: number,
    private readonly config: LocalContainerConfig,
    readonly engine: EngineName,
    /** the script the container's node runs with `cmd.args`: the `runnable` CLI, or the job entry */
    private readonly entry: string = RUNNABLE_BIN,
  ) {
    super(width);
  }

  override async launch(rc: RunContext, cmd: StepCommand): Promise<StepProcessResult> {
    if (cmd.kind !== 'execute-single-node' || cmd.node.type !== 'task') return super.launch(rc, cmd);
    const settings = settingsFor(this.config, cmd.node);
    const image = await this.image(settings.image);
    this.mounts ??= runMounts(rc, pipelineFile(rc));
    this.prepared.set(
      cmd,
      runArgs({
        image: image?.id ?? settings.image,
        name: containerName(rc.runId, cmd.internalName),
        cwd: rc.cwd,
        mounts: await this.mounts,
        env: settings.environment,
        passEnv: passedEnv(cmd.node.secrets),
        labels: { 'runnable.run_id': rc.runId, 'runnable.step': cmd.internalName, 'runnable.image': settings.image },
        remove: settings.remove,
        user: this.engine === 'docker' && process.getuid?.() ? `${process.getuid()}:${process.getgid?.()}` : undefined,
        network: settings.network,
        options: settings.runOptions,
        command: ['node', this.entry, ...cmd.args],
      }),
    );
    return containerEnd(await super.launch(rc, cmd));
  }

  protected override processFor(rc: RunContext, cmd: StepCommand): { file: string; args: string[] } {
    const args = this.prepared.get(cmd);
    return args ? { file: this.engine, args } : super.processFor(rc, cmd);
  }

  /** Composites open and close here, as `local` does (no user code but a map's reducer). */
  override fanOut(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<BranchRun[]> {
    return compositeOf(node).fanOut(rc, node, graph, frames);
  }

  override fanIn(rc: RunContext, node: CompositeNode, graph: Graph, frames: IterVars): Promise<FanInResult> {
    return compositeOf(node).fanIn(rc, node, graph, frames);
  }

  /**
   * A task in a container: the protocol reads (or records) its end, then the image it ran goes
   * into its code identities. Stubs and terminal steps run here.
   */
  override async runLeaf(rc: RunContext, node: Leaf, graph: Graph, frames: IterVars): Promise<Status> {
    if (node.type !== 'task') return executeLeaf(rc, node, graph, frames);
    const status = await super.runLeaf(rc, node, graph, frames);
    const identity = await this.identity(node);
    const step = await rc.log.step(resolveName(node.internalName, frames));
    if (step) {
      const others = step.code_identities.filter((c) => c.code_identifier_type !== 'docker');
      await rc.log.putStep(parentOfStep(graph, frames), { ...step, code_identities: [...others, identity] });
    }
    return status;
  }

  /** The code identity of the image a task runs in. */
  async identity(node: PipelineNode): Promise<CodeIdentity> {
    const ref = settingsFor(this.config, node).image;
    return imageIdentity(this.engine, await this.image(ref, true), ref);
  }

  /** `again`: an image the engine did not have before the step may have been pulled by it. */
  private image(ref: string, again = false): Promise<ImageInfo | undefined> {
    let found = this.images.get(ref);
    if (!found || again) {
      found = (found ?? Promise.resolve(undefined)).then((info) => info ?? inspectImage(this.engine, ref));
      this.images.set(ref, found);
    }
    return found;
  }
}

export const localContainer: Plugin<PipelineExecutor, LocalContainerConfig> = {
  config: localContainerConfig,
  create: (config) => new LocalContainerExecutor(config),
};
